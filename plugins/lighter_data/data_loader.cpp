#include "data_loader.hpp"

#include <lighter/dist.hpp>
#include <lighter/log.hpp>
#include <lighter/runtime.hpp>

#include <numeric>

#include "registrations.hpp"
#include "seeding.hpp"

namespace lighter::data {

SeededDataLoader::SeededDataLoader(std::shared_ptr<Dataset> dataset, Options options)
    : dataset_(std::move(dataset)), options_(options) {
  // As PyTorch's DataLoader: pinning needs an accelerator, and without one it warns and does nothing.
  if (options_.pin_memory && !torch::cuda::is_available()) {
    log::warn("DataLoader: pin_memory is set but no accelerator is found, so pinned memory is not used");
    options_.pin_memory = false;
  }
}

Dict SeededDataLoader::pinned(Dict batch) const {
  if (!options_.pin_memory) return batch;
  Dict out;
  for (const auto& [key, value] : batch)
    out.set(key, value.isTensor() && value.toTensor().is_cpu() ? c10::IValue(value.toTensor().pin_memory()) : value);
  return out;
}

int64_t SeededDataLoader::samples_per_rank() const {
  const int64_t n = dataset_->size(), world = dist::world_size(), rank = dist::global_rank();
  if (world == 1) return n;
  if (!dist::pad_shards()) return (n - std::min(rank, n) + world - 1) / world;
  return options_.drop_last ? n / world : (n + world - 1) / world;
}

int64_t SeededDataLoader::num_batches() const {
  const int64_t n = samples_per_rank(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void SeededDataLoader::shard() {
  const int64_t world = dist::world_size(), rank = dist::global_rank();
  if (world == 1) return;
  // PyTorch's DistributedSampler: the epoch's order padded with its own first samples (or cut
  // with drop_last) to a multiple of the world size, then every world-th sample from the rank.
  const int64_t per_rank = samples_per_rank();
  std::vector<int64_t> all = std::move(order_);
  const auto total = static_cast<size_t>(dist::pad_shards() ? per_rank * world : static_cast<int64_t>(all.size()));
  const size_t n = all.size();
  for (size_t i = n; i < total && n > 0; ++i) all.push_back(all[i % n]);
  order_.clear();
  for (size_t i = static_cast<size_t>(rank); i < std::min(total, all.size()); i += static_cast<size_t>(world))
    order_.push_back(all[i]);
}

void SeededDataLoader::start_epoch(int64_t epoch) {
  // The previous epoch's workers stop loading before its state changes: persistent ones wait
  // for the next round, the others are joined.
  if (prefetcher_ && options_.persistent_workers) prefetcher_->end_round();
  else prefetcher_.reset();
  started_ = true;
  cursor_ = 0;
  epoch_seed_ = derive_seed(options_.seed, static_cast<uint64_t>(epoch));
  const int64_t n = dataset_->size();
  if (options_.shuffle) {
    torch::Generator generator = seeded_generator(epoch_seed_);
    torch::Tensor perm = torch::randperm(n, generator, torch::kLong);
    order_.assign(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + n);
  } else {
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), 0);
  }
  shard();
  // Ranks draw their random transforms apart (as DataLoader workers seeded by rank).
  if (dist::world_size() > 1) epoch_seed_ = derive_seed(epoch_seed_, 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(dist::global_rank()));
  if (options_.on_device) {
    if (!resident_ || resident_->device() != current_device())
      resident_ = std::make_unique<DeviceResident>(*dataset_, current_device(), unused_generator_);
    resident_->set_order(order_);
  }
  if (options_.num_workers > 0 && num_batches() > 0) {
    if (!prefetcher_)
      prefetcher_ = std::make_unique<Prefetcher>([this](int64_t i) { return load(i); }, options_.num_workers,
                                                 options_.prefetch_factor * options_.num_workers);
    prefetcher_->begin(num_batches());
  }
}

std::optional<Dict> SeededDataLoader::next() {
  if (!started_) start_epoch(0);
  if (cursor_ >= num_batches()) return std::nullopt;
  const int64_t index = cursor_++;
  if (!prefetcher_) return load(index);
  Dict batch = prefetcher_->take();
  // As PyTorch, workers that are not persistent are shut down when the epoch's batches are out.
  if (cursor_ == num_batches() && !options_.persistent_workers) prefetcher_.reset();
  return batch;
}

Dict SeededDataLoader::load(int64_t batch_index) const {
  const int64_t begin = batch_index * options_.batch_size;
  const int64_t end = std::min<int64_t>(begin + options_.batch_size, static_cast<int64_t>(order_.size()));
  if (resident_) return resident_->batch(begin, end);
  std::vector<int64_t> indices(order_.begin() + begin, order_.begin() + end);
  // Each batch has its own generator so random transforms do not depend on which thread loads it.
  if (!dataset_->random()) return pinned(dataset_->get_batch(indices, unused_generator_));
  torch::Generator generator = seeded_generator(derive_seed(epoch_seed_, static_cast<uint64_t>(batch_index)));
  return pinned(dataset_->get_batch(indices, generator));
}

void register_data_loader(Registrar& r) {
  using namespace lighter::param;
  Param seed = integer("seed", std::nullopt, "base seed of the shuffling order (null: drawn from the run's seed)");
  seed.type = Type::Int | Type::Null;
  seed.default_value = Value();
  Param prefetch_factor = integer("prefetch_factor", std::nullopt,
                                  "batches each worker loads ahead (null: 2 with workers; only with num_workers > 0)");
  prefetch_factor.type = Type::Int | Type::Null;
  prefetch_factor.default_value = Value();
  r.add<DataLoader>(
      "torch.utils.data.DataLoader", "batches of a dataset, shuffled per epoch from a seed",
      {component("dataset", Kind::Dataset, "the dataset to load from"),
       integer("batch_size", 1, "samples per batch"), boolean("shuffle", false, "reshuffle the samples every epoch"),
       integer("num_workers", 0, "threads loading batches ahead (0: load in the training thread)"),
       prefetch_factor,
       boolean("persistent_workers", false, "keep the worker threads between epochs (only with num_workers > 0)"),
       boolean("drop_last", false, "drop the last batch when it is smaller than batch_size"), seed,
       boolean("pin_memory", false,
               "batches in page-locked memory, so the copy to the GPU is asynchronous (no effect without CUDA)"),
       boolean("on_device", false,
               "lighter: keep the whole dataset, computed once, on the device the stage runs on, so a batch is one "
               "gather there (transforms must not be random; no workers)")},
      [](const Args& a) {
        SeededDataLoader::Options options;
        options.batch_size = a.get<int64_t>("batch_size");
        if (options.batch_size < 1) a.fail("batch_size", "expected an integer >= 1");
        options.shuffle = a.get<bool>("shuffle");
        options.num_workers = a.get<int64_t>("num_workers");
        if (options.num_workers < 0) a.fail("num_workers", "expected an integer >= 0");
        // PyTorch 2.x's checks, with its messages.
        const auto prefetch_factor = a.get_optional<int64_t>("prefetch_factor");
        if (prefetch_factor && options.num_workers == 0)
          a.fail("prefetch_factor", "prefetch_factor option could only be specified in multiprocessing. Let "
                                    "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None");
        if (prefetch_factor && *prefetch_factor < 1)
          a.fail("prefetch_factor", "expected an integer >= 1 (batches each worker loads ahead), got " +
                                        std::to_string(*prefetch_factor));
        options.prefetch_factor = prefetch_factor.value_or(2);
        options.persistent_workers = a.get<bool>("persistent_workers");
        if (options.persistent_workers && options.num_workers == 0)
          a.fail("persistent_workers", "persistent_workers option needs num_workers > 0");
        options.drop_last = a.get<bool>("drop_last");
        options.pin_memory = a.get<bool>("pin_memory");
        options.on_device = a.get<bool>("on_device");
        auto dataset = a.component<Dataset>("dataset");
        if (options.on_device && options.num_workers > 0)
          a.fail("on_device", "gathers every batch on the device in the training thread, so it takes no workers: "
                              "set num_workers = 0");
        if (options.on_device && dataset && dataset->random())
          a.fail("on_device", "the dataset draws random numbers (a random transform), but on_device computes its "
                              "samples once: drop on_device or the random transform");
        auto seed = a.get_optional<int64_t>("seed");
        options.seed = seed ? static_cast<uint64_t>(*seed) : seed_from_default_generator();
        return std::make_shared<SeededDataLoader>(std::move(dataset), options);
      });
}

}  // namespace lighter::data
