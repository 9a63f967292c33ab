#pragma once
// Helpers for the DataLoader tests: a loader of the data plugin over a dataset, one epoch's
// batches, and one process pretending to be a rank of several (lighter::dist as DDP sets it).
#include <lighter/data.hpp>

#include "internal.hpp"
#include "support/plugin_harness.hpp"

namespace lighter::test {

inline const PluginHarness& data_plugin() { return plugin(LIGHTER_PLUGIN_LIGHTER_DATA); }

inline std::shared_ptr<DataLoader> loader(std::shared_ptr<Dataset> dataset, Value::Table values) {
  return data_plugin().make<DataLoader>("torch.utils.data.DataLoader", std::move(values), {{"dataset", dataset}});
}

inline std::vector<Dict> epoch(DataLoader& loader, int64_t e) {
  loader.start_epoch(e);
  std::vector<Dict> batches;
  while (auto batch = loader.next()) batches.push_back(*batch);
  return batches;
}

class PretendRanks : public internal::Collectives {
 public:
  PretendRanks(int64_t rank, int64_t world) : rank_(rank), world_(world) { internal::set_collectives(this); }
  ~PretendRanks() override {
    internal::set_collectives(nullptr);
    internal::set_pad_shards(true);
  }
  int64_t rank() const override { return rank_; }
  int64_t size() const override { return world_; }
  void all_reduce(torch::Tensor&, dist::ReduceOp) override {}
  torch::Tensor all_gather_cat(const torch::Tensor& tensor) override { return tensor; }
  void barrier() override {}

 private:
  int64_t rank_, world_;
};

}  // namespace lighter::test
