// DataLoader(on_device=true): the dataset computed once on the stage's device; every batch is
// the one the loader would have loaded (shuffled, drop_last, sharded), each epoch, without
// loading again; what it cannot keep is refused.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/data.hpp>
#include <lighter/runtime.hpp>

#include <atomic>

#include "support/data_loaders.hpp"

using lighter::DataLoader;
using lighter::Dataset;
using lighter::Dict;
using lighter::Value;
using Catch::Contains;
using lighter::test::epoch;
using lighter::test::loader;
using lighter::test::PretendRanks;

namespace {
const lighter::test::PluginHarness& data() { return lighter::test::data_plugin(); }

Value::Table with(Value::Table values, const std::string& key, Value value) {
  values.emplace_back(key, std::move(value));
  return values;
}

void check_same_batches(const std::vector<Dict>& got, const std::vector<Dict>& expected) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("batch " << i);
    REQUIRE(got[i].keys() == expected[i].keys());
    for (const auto& key : got[i].keys()) {
      CHECK(got[i].tensor(key).device() == lighter::current_device());
      CHECK(torch::equal(got[i].tensor(key).cpu(), expected[i].tensor(key)));
    }
  }
}

// A deterministic dataset that counts its get_batch calls, with a transform-like float column.
class CountingDataset : public Dataset {
 public:
  explicit CountingDataset(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  Dict get(int64_t i, torch::Generator&) const override {
    return {{"input", (torch::full({2, 3}, static_cast<double>(i)) - 0.286) / 0.353}, {"target", i % 10}};
  }
  Dict get_batch(const std::vector<int64_t>& indices, torch::Generator& generator) const override {
    ++batches_loaded;
    return Dataset::get_batch(indices, generator);
  }
  bool random() const override { return false; }
  mutable std::atomic<int64_t> batches_loaded{0};

 private:
  int64_t n_;
};

// Sets the stage's device for a test: CUDA where there is one, else the CPU.
struct StageDevice {
  StageDevice() {
    lighter::internal::set_current_device(torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0)
                                                                      : torch::Device(torch::kCPU));
  }
  ~StageDevice() { lighter::internal::set_current_device(torch::kCPU); }
};
}  // namespace

TEST_CASE("DataLoader on_device yields the loaded batches, shuffled, dropped and sharded alike", "[plugin][lighter_data]") {
  StageDevice device;
  // Several gathering chunks, the last one short, joined in order.
  auto ds = data().make<Dataset>("lighter.datasets.Synthetic", {{"num_samples", 5000}, {"num_features", 6}, {"seed", 4}});
  for (const Value::Table& options :
       {Value::Table{{"batch_size", 64}, {"shuffle", true}, {"seed", 3}},
        Value::Table{{"batch_size", 100}, {"drop_last", true}, {"shuffle", true}, {"seed", 1}},
        Value::Table{{"batch_size", 7}}}) {
    auto plain = loader(ds, options), resident = loader(ds, with(options, "on_device", true));
    CHECK(resident->num_batches() == plain->num_batches());
    for (int64_t e : {0, 1, 5}) {
      INFO("epoch " << e);
      check_same_batches(epoch(*resident, e), epoch(*plain, e));
    }
  }
  for (int64_t rank : {0, 1, 2}) {
    PretendRanks ranks(rank, 3);
    const Value::Table options = {{"batch_size", 32}, {"shuffle", true}, {"seed", 8}};
    INFO("rank " << rank);
    check_same_batches(epoch(*loader(ds, with(options, "on_device", true)), 2), epoch(*loader(ds, options), 2));
  }
}

TEST_CASE("DataLoader on_device computes the samples once, with the dataset's transforms applied", "[plugin][lighter_data]") {
  StageDevice device;
  auto ds = std::make_shared<CountingDataset>(9000);
  auto resident = loader(ds, {{"batch_size", 50}, {"shuffle", true}, {"seed", 2}, {"on_device", true}});
  auto plain = loader(std::make_shared<CountingDataset>(9000), {{"batch_size", 50}, {"shuffle", true}, {"seed", 2}});
  check_same_batches(epoch(*resident, 0), epoch(*plain, 0));
  const int64_t gathered = ds->batches_loaded;  // in chunks, fewer than the 180 batches of an epoch
  CHECK(gathered >= 2);
  CHECK(gathered < 180);
  check_same_batches(epoch(*resident, 1), epoch(*plain, 1));
  CHECK(ds->batches_loaded == gathered);  // nothing loaded again
}

TEST_CASE("DataLoader on_device refuses what it cannot keep", "[plugin][lighter_data]") {
  auto ds = data().make<Dataset>("lighter.datasets.Synthetic", {{"num_samples", 10}});
  CHECK_THROWS_WITH(loader(ds, {{"on_device", true}, {"num_workers", 2}}),
                    Contains("on_device") && Contains("num_workers = 0"));

  class Noisy : public CountingDataset {
   public:
    using CountingDataset::CountingDataset;
    bool random() const override { return true; }
  };
  CHECK_THROWS_WITH(loader(std::make_shared<Noisy>(10), {{"on_device", true}}),
                    Contains("on_device") && Contains("random"));

  class Named : public CountingDataset {  // a list of strings per batch, as CSV's string ids
   public:
    using CountingDataset::CountingDataset;
    Dict get(int64_t i, torch::Generator& g) const override {
      Dict sample = CountingDataset::get(i, g);
      sample.set("id", "sample-" + std::to_string(i));
      return sample;
    }
  };
  auto named = loader(std::make_shared<Named>(10), {{"on_device", true}, {"batch_size", 4}});
  CHECK_THROWS_WITH(named->start_epoch(0), Contains("on_device") && Contains("'id'") && Contains("row per sample"));
}
