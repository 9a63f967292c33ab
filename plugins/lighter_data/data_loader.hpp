#pragma once
// torch.utils.data.DataLoader: batches of a Dataset in a seeded per-epoch order.
#include <lighter/data.hpp>

#include <memory>

#include "device_resident.hpp"
#include "prefetcher.hpp"
#include "seeding.hpp"

namespace lighter::data {

class SeededDataLoader : public DataLoader {
 public:
  struct Options {
    int64_t batch_size = 1;
    bool shuffle = false;
    int64_t num_workers = 0;  // > 0: that many threads load batches ahead, in order
    int64_t prefetch_factor = 2;      // with workers: batches loaded ahead per worker
    bool persistent_workers = false;  // with workers: the same threads serve every epoch
    bool drop_last = false;
    uint64_t seed = 0;  // the order of epoch E depends only on (seed, E)
    bool pin_memory = false;  // batches in page-locked memory (where CUDA is), for asynchronous copies
    bool on_device = false;   // the dataset computed once and kept on the stage's device (no workers)
  };
  // With num_workers > 0 the dataset's get()/get_batch() run concurrently, so they must be
  // safe to call from several threads (the built-in datasets only read).
  SeededDataLoader(std::shared_ptr<Dataset> dataset, Options options);

  int64_t num_batches() const override;
  int64_t batch_size() const override { return options_.batch_size; }
  void start_epoch(int64_t epoch) override;
  // Starts epoch 0 if no epoch was started.
  std::optional<Dict> next() override;

  const Dataset& dataset() const { return *dataset_; }

 private:
  Dict load(int64_t batch_index) const;
  // In a multi-process run: this rank's samples of the epoch (lighter::dist), as PyTorch's
  // DistributedSampler picks them.
  int64_t samples_per_rank() const;
  void shard();

  std::shared_ptr<Dataset> dataset_;
  Dict pinned(Dict batch) const;

  Options options_;
  bool started_ = false;
  uint64_t epoch_seed_ = 0;
  std::vector<int64_t> order_;  // sample indices of this epoch, in visiting order
  int64_t cursor_ = 0;          // next batch index
  // Handed to datasets that draw nothing (Dataset::random() false), from every worker thread.
  mutable torch::Generator unused_generator_ = seeded_generator(0);
  std::unique_ptr<Prefetcher> prefetcher_;
  std::unique_ptr<DeviceResident> resident_;  // with on_device, made for the first epoch on a device
};

}  // namespace lighter::data
