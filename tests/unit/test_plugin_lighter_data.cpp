// The data plugin: Synthetic is deterministic and learnable; DataLoader orders batches by
// (seed, epoch) alone, identically with worker threads; LighterDataModule hands out its loaders.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/data.hpp>
#include <lighter/dist.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>

#include "support/data_loaders.hpp"

using lighter::DataLoader;
using lighter::Dataset;
using lighter::Dict;
using lighter::ParamError;
using lighter::Value;
using lighter::test::epoch;
using lighter::test::loader;
using lighter::test::PretendRanks;

namespace {
const lighter::test::PluginHarness& data() { return lighter::test::data_plugin(); }

std::shared_ptr<Dataset> synthetic(Value::Table values) { return data().make<Dataset>("lighter.datasets.Synthetic", values); }

// Samples whose input is their index; loading batch-dependent delays scramble which worker
// finishes first, and one index can be made to throw.
class IndexDataset : public Dataset {
 public:
  explicit IndexDataset(int64_t n, int64_t throw_at = -1) : n_(n), throw_at_(throw_at) {}
  int64_t size() const override { return n_; }
  Dict get(int64_t i, torch::Generator& generator) const override {
    if (i == throw_at_) throw std::runtime_error("cannot read sample " + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::microseconds(200 * ((i * 7) % 5)));
    // A random draw shows that batches see the same generator state however they are loaded.
    return {{"input", torch::tensor(static_cast<float>(i))}, {"noise", torch::rand({1}, generator)}, {"id", i}};
  }

 private:
  int64_t n_, throw_at_;
};

std::vector<int64_t> ids_of(const std::vector<Dict>& batches) {
  std::vector<int64_t> ids;
  for (const auto& b : batches) {
    auto t = b.tensor("id");
    ids.insert(ids.end(), t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  }
  return ids;
}
}  // namespace

TEST_CASE("Synthetic data is a function of its seed", "[plugin][lighter_data]") {
  auto a = synthetic({{"num_samples", 50}, {"num_features", 3}, {"seed", 7}});
  auto b = synthetic({{"num_samples", 50}, {"num_features", 3}, {"seed", 7}});
  auto c = synthetic({{"num_samples", 50}, {"num_features", 3}, {"seed", 8}});
  torch::Generator g;
  std::vector<int64_t> all(50);
  std::iota(all.begin(), all.end(), 0);
  Dict da = a->get_batch(all, g), db = b->get_batch(all, g), dc = c->get_batch(all, g);
  CHECK(a->size() == 50);
  CHECK(da.tensor("input").sizes() == torch::IntArrayRef({50, 3}));
  CHECK(da.tensor("target").scalar_type() == torch::kLong);
  CHECK(torch::equal(da.tensor("input"), db.tensor("input")));
  CHECK(torch::equal(da.tensor("target"), db.tensor("target")));
  CHECK_FALSE(torch::equal(da.tensor("input"), dc.tensor("input")));
  // Balanced classes (the default is 2).
  CHECK(da.tensor("target").eq(0).sum().item<int64_t>() == 25);
}

TEST_CASE("Synthetic batches gather the same samples as get(), with their ids", "[plugin][lighter_data]") {
  auto ds = synthetic({{"num_samples", 20}, {"num_features", 4}, {"num_classes", 3}});
  torch::Generator g;
  Dict batch = ds->get_batch({5, 0, 17}, g);
  CHECK(torch::equal(batch.tensor("id"), torch::tensor({5, 0, 17}, torch::kLong)));
  Dict one = ds->get(17, g);
  CHECK(torch::equal(batch.tensor("input")[2], one.tensor("input")));
  CHECK(torch::equal(batch.tensor("target")[2], one.tensor("target")));
  CHECK(one.at("id").toInt() == 17);
  CHECK_THROWS_AS(ds->get(20, g), std::out_of_range);
}

TEST_CASE("Synthetic classification is learnable across splits", "[plugin][lighter_data]") {
  // Train and val splits share class centres (task_seed) but not samples (seed): a
  // nearest-centroid classifier fitted on one split must beat chance clearly on the other.
  Value::Table spec{{"num_samples", 400}, {"num_features", 8}, {"num_classes", 4}};
  auto train_spec = spec, val_spec = spec;
  val_spec.emplace_back("seed", 1);
  torch::Generator g;
  std::vector<int64_t> all(400);
  std::iota(all.begin(), all.end(), 0);
  Dict train = synthetic(train_spec)->get_batch(all, g), val = synthetic(val_spec)->get_batch(all, g);
  std::vector<torch::Tensor> centroids;
  for (int64_t c = 0; c < 4; ++c)
    centroids.push_back(train.tensor("input").index({train.tensor("target") == c}).mean(0));
  auto predicted = torch::cdist(val.tensor("input"), torch::stack(centroids)).argmin(1);
  CHECK(predicted.eq(val.tensor("target")).to(torch::kFloat).mean().item<float>() > 0.8f);
}

TEST_CASE("Synthetic regression has float targets and validates its spec", "[plugin][lighter_data]") {
  auto ds = synthetic({{"task", "regression"}, {"num_samples", 10}, {"num_features", 2}, {"noise", 0.0}});
  torch::Generator g;
  Dict batch = ds->get_batch({0, 1, 2}, g);
  CHECK(batch.tensor("target").scalar_type() == torch::kFloat);
  CHECK(batch.tensor("target").sizes() == torch::IntArrayRef({3}));
  CHECK_THROWS_WITH(synthetic({{"num_classes", 1}}), Catch::Contains("num_classes"));
  CHECK_THROWS_WITH(synthetic({{"num_samples", 0}}), Catch::Contains("num_samples"));
  CHECK_THROWS_AS(synthetic({{"task", "segmentation"}}), ParamError);
}

TEST_CASE("DataLoader batch counts and drop_last", "[plugin][lighter_data]") {
  auto ds = std::make_shared<IndexDataset>(10);
  auto keep = loader(ds, {{"batch_size", 3}});
  CHECK(keep->num_batches() == 4);
  CHECK(keep->batch_size() == 3);
  auto batches = epoch(*keep, 0);
  REQUIRE(batches.size() == 4);
  CHECK(batches.back().tensor("input").size(0) == 1);
  CHECK(ids_of(batches) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // no shuffle: in order

  auto drop = loader(ds, {{"batch_size", 3}, {"drop_last", true}});
  CHECK(drop->num_batches() == 3);
  CHECK(epoch(*drop, 0).size() == 3);
  CHECK_THROWS_WITH(loader(ds, {{"batch_size", 0}}), Catch::Contains("batch_size"));
}

TEST_CASE("DataLoader order depends only on seed and epoch", "[plugin][lighter_data]") {
  auto ds = std::make_shared<IndexDataset>(12);
  auto a = loader(ds, {{"batch_size", 4}, {"shuffle", true}, {"seed", 3}});
  auto b = loader(ds, {{"batch_size", 4}, {"shuffle", true}, {"seed", 3}});
  auto other_seed = loader(ds, {{"batch_size", 4}, {"shuffle", true}, {"seed", 4}});
  auto e1 = ids_of(epoch(*a, 1));
  CHECK(ids_of(epoch(*a, 0)) != e1);           // reshuffled every epoch
  CHECK(ids_of(epoch(*b, 1)) == e1);           // same (seed, epoch): same order, whatever came before
  CHECK(ids_of(epoch(*other_seed, 1)) != e1);  // another seed: another order
  auto sorted = e1;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});  // a permutation

  // Without a seed, the base seed comes from torch's default generator (seeded by the host).
  torch::manual_seed(5);
  auto c = loader(ds, {{"shuffle", true}});
  torch::manual_seed(5);
  auto d = loader(ds, {{"shuffle", true}});
  torch::manual_seed(6);
  auto e = loader(ds, {{"shuffle", true}});
  CHECK(ids_of(epoch(*c, 0)) == ids_of(epoch(*d, 0)));
  CHECK(ids_of(epoch(*c, 0)) != ids_of(epoch(*e, 0)));
}

TEST_CASE("DataLoader workers deliver exactly the single-threaded batches", "[plugin][lighter_data]") {
  auto ds = std::make_shared<IndexDataset>(23);
  auto serial = loader(ds, {{"batch_size", 2}, {"shuffle", true}, {"seed", 9}});
  auto threaded = loader(ds, {{"batch_size", 2}, {"shuffle", true}, {"seed", 9}, {"num_workers", 2}});
  for (int64_t e : {0, 1}) {
    auto expected = epoch(*serial, e), got = epoch(*threaded, e);
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("epoch " << e << " batch " << i);
      CHECK(torch::equal(got[i].tensor("input"), expected[i].tensor("input")));
      CHECK(torch::equal(got[i].tensor("noise"), expected[i].tensor("noise")));
    }
  }
  // An epoch abandoned half-way stops its workers cleanly before the next one starts.
  threaded->start_epoch(2);
  CHECK(threaded->next().has_value());
  CHECK(ids_of(epoch(*threaded, 3)) == ids_of(epoch(*serial, 3)));
}

namespace {
// Counts the samples loaded and the threads that loaded them (a new thread counts even when
// the system gives it the id of a finished one).
class CountingDataset : public IndexDataset {
 public:
  using IndexDataset::IndexDataset;
  Dict get(int64_t i, torch::Generator& generator) const override {
    thread_local const CountingDataset* seen_by_this_thread = nullptr;
    if (seen_by_this_thread != this) {
      seen_by_this_thread = this;
      ++threads;
    }
    ++loads;
    return IndexDataset::get(i, generator);
  }
  mutable std::atomic<int64_t> loads{0}, threads{0};
};

// Waits (up to 5 s) for the loads to reach `count`, then a while longer: the count must stay.
int64_t settled_loads(const CountingDataset& ds, int64_t count) {
  for (int i = 0; i < 500 && ds.loads < count; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return ds.loads;
}

void check_same_batches(const std::vector<Dict>& got, const std::vector<Dict>& expected) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("batch " << i);
    for (const char* key : {"input", "noise", "id"}) CHECK(torch::equal(got[i].tensor(key), expected[i].tensor(key)));
  }
}
}  // namespace

TEST_CASE("DataLoader persistent_workers: the same threads every epoch, the same batches", "[plugin][lighter_data]") {
  auto ds = std::make_shared<IndexDataset>(23);
  const Value::Table options{{"batch_size", 3}, {"shuffle", true}, {"seed", 5}};
  auto with = [&](Value::Table extra) {
    Value::Table values = options;
    values.insert(values.end(), extra.begin(), extra.end());
    return loader(ds, values);
  };
  auto serial = with({});
  auto fresh_workers = with({{"num_workers", 3}});
  auto persistent = with({{"num_workers", 3}, {"persistent_workers", true}});
  for (int64_t e : {0, 1, 2}) {
    INFO("epoch " << e);
    const auto expected = epoch(*serial, e);
    check_same_batches(epoch(*persistent, e), expected);
    check_same_batches(epoch(*fresh_workers, e), expected);
  }
  // An epoch left half-way: its batches loaded ahead are dropped, the next epoch is exact.
  persistent->start_epoch(3);
  CHECK(persistent->next().has_value());
  CHECK(persistent->next().has_value());
  check_same_batches(epoch(*persistent, 4), epoch(*serial, 4));

  SECTION("threads") {
    auto counted = std::make_shared<CountingDataset>(40);
    auto kept = loader(counted, {{"batch_size", 2}, {"num_workers", 2}, {"persistent_workers", true}});
    for (int64_t e : {0, 1, 2}) epoch(*kept, e);
    CHECK(counted->loads == 3 * 40);
    CHECK(counted->threads <= 2);  // the two workers served all three epochs

    auto recounted = std::make_shared<CountingDataset>(40);
    auto renewed = loader(recounted, {{"batch_size", 2}, {"num_workers", 2}});
    for (int64_t e : {0, 1, 2}) epoch(*renewed, e);
    CHECK(recounted->threads >= 3);  // new workers every epoch
  }
}

TEST_CASE("DataLoader prefetch_factor bounds the batches loaded ahead", "[plugin][lighter_data]") {
  for (const auto& [values, ahead] : std::vector<std::pair<Value::Table, int64_t>>{
           {{{"num_workers", 2}, {"prefetch_factor", 3}}, 6},
           {{{"num_workers", 2}}, 4},  // prefetch_factor 2 by default
           {{{"num_workers", 1}, {"prefetch_factor", 1}, {"persistent_workers", true}}, 1}}) {
    INFO("loaded ahead: " << ahead);
    auto ds = std::make_shared<CountingDataset>(50);
    auto l = loader(ds, values);
    l->start_epoch(0);
    CHECK(settled_loads(*ds, ahead) == ahead);
    CHECK(l->next().has_value());
    CHECK(settled_loads(*ds, ahead + 1) == ahead + 1);
    l->start_epoch(1);  // a new epoch: the bound holds again from its first batch
    CHECK(settled_loads(*ds, 2 * ahead + 1) == 2 * ahead + 1);
  }
}

TEST_CASE("DataLoader worker options are checked as PyTorch 2.x checks them", "[plugin][lighter_data]") {
  auto ds = std::make_shared<IndexDataset>(6);
  CHECK_THROWS_WITH(loader(ds, {{"persistent_workers", true}}),
                    Catch::Contains("persistent_workers") && Catch::Contains("needs num_workers > 0"));
  CHECK_THROWS_AS(loader(ds, {{"persistent_workers", true}, {"num_workers", 0}}), ParamError);
  CHECK_THROWS_WITH(loader(ds, {{"prefetch_factor", 2}}),
                    Catch::Contains("prefetch_factor") && Catch::Contains("num_workers > 0"));
  CHECK_THROWS_WITH(loader(ds, {{"prefetch_factor", 0}, {"num_workers", 2}}), Catch::Contains("prefetch_factor"));
  CHECK_THROWS_AS(loader(ds, {{"prefetch_factor", 1.5}, {"num_workers", 2}}), ParamError);
  CHECK_NOTHROW(loader(ds, {{"prefetch_factor", Value()}}));
  CHECK_NOTHROW(loader(ds, {{"prefetch_factor", 4}, {"num_workers", 1}, {"persistent_workers", true}}));
}

TEST_CASE("DataLoader pin_memory without CUDA loads the same batches", "[plugin][lighter_data]") {
  auto ds = std::make_shared<IndexDataset>(9);
  auto plain = loader(ds, {{"batch_size", 4}, {"seed", 2}, {"shuffle", true}});
  for (int64_t workers : {0, 2}) {
    auto pinned = loader(ds, {{"batch_size", 4}, {"seed", 2}, {"shuffle", true}, {"pin_memory", true},
                              {"num_workers", workers}});
    const auto got = epoch(*pinned, 0);
    check_same_batches(got, epoch(*plain, 0));
    for (const auto& batch : got) CHECK(batch.tensor("input").is_cpu());
  }
}

TEST_CASE("DataLoader rethrows a worker's exception at that batch", "[plugin][lighter_data]") {
  auto ds = std::make_shared<IndexDataset>(10, 7);
  for (int64_t workers : {0, 3}) {
    auto l = loader(ds, {{"batch_size", 2}, {"num_workers", workers}});
    l->start_epoch(0);
    for (int i = 0; i < 3; ++i) CHECK(l->next().has_value());  // samples 0..5
    CHECK_THROWS_WITH(l->next(), Catch::Contains("cannot read sample 7"));
  }
}

TEST_CASE("DataLoader over Synthetic yields input, target and id", "[plugin][lighter_data]") {
  auto ds = synthetic({{"num_samples", 10}, {"num_features", 3}});
  auto l = loader(ds, {{"batch_size", 4}, {"shuffle", true}, {"seed", 0}});
  CHECK_FALSE(l->next() == std::nullopt);  // starts epoch 0 by itself
  auto batches = epoch(*l, 0);
  CHECK(batches[0].keys() == std::vector<std::string>{"input", "target", "id"});
  torch::Generator g;
  auto ids = ids_of(batches);
  CHECK(torch::equal(batches[0].tensor("input"), ds->get_batch({ids[0], ids[1], ids[2], ids[3]}, g).tensor("input")));
}

TEST_CASE("LighterDataModule hands out its dataloaders", "[plugin][lighter_data]") {
  auto ds = std::make_shared<IndexDataset>(4);
  auto train = loader(ds, {}), val = loader(ds, {});
  auto dm = data().make<lighter::DataModule>("lighter.LighterDataModule", {},
                                             {{"train_dataloader", train}, {"val_dataloader", val}});
  CHECK(dm->train_dataloader() == train);
  CHECK(dm->val_dataloader() == val);
  CHECK(dm->test_dataloader() == nullptr);
  CHECK(dm->predict_dataloader() == nullptr);
}

namespace {
// A rank of a pretend multi-process run: the loader only asks which rank it is.
std::vector<int64_t> shard_ids(int64_t rank, int64_t world, Value::Table options, int64_t epoch_index, bool pad = true) {
  PretendRanks ranks(rank, world);
  lighter::internal::set_pad_shards(pad);
  auto l = loader(std::make_shared<IndexDataset>(10), std::move(options));
  const auto ids = ids_of(epoch(*l, epoch_index));
  CHECK(l->num_batches() == static_cast<int64_t>(epoch(*l, epoch_index).size()));
  return ids;
}
}  // namespace

TEST_CASE("DataLoader shards like DistributedSampler: every world-th sample of the padded order") {
  // 10 samples on 3 ranks: padded to 12 with the order's first two; rank r takes r, r+3, ...
  CHECK(shard_ids(0, 3, {{"batch_size", 2}}, 0) == std::vector<int64_t>{0, 3, 6, 9});
  CHECK(shard_ids(1, 3, {{"batch_size", 2}}, 0) == std::vector<int64_t>{1, 4, 7, 0});
  CHECK(shard_ids(2, 3, {{"batch_size", 2}}, 0) == std::vector<int64_t>{2, 5, 8, 1});
  // drop_last cuts the order to 9 and drops incomplete batches.
  CHECK(shard_ids(2, 3, {{"batch_size", 2}, {"drop_last", true}}, 0) == std::vector<int64_t>{2, 5});
  // Shuffled: the ranks split the one-process order of the epoch between them.
  auto one = ids_of(epoch(*loader(std::make_shared<IndexDataset>(10), {{"batch_size", 4}, {"shuffle", true}, {"seed", 5}}), 3));
  for (int64_t rank = 0; rank < 2; ++rank) {
    const auto mine = shard_ids(rank, 2, {{"batch_size", 4}, {"shuffle", true}, {"seed", 5}}, 3);
    std::vector<int64_t> expected;
    for (size_t i = static_cast<size_t>(rank); i < one.size(); i += 2) expected.push_back(one[i]);
    CHECK(mine == expected);
  }
  // Predict hands every sample out once (UnrepeatedDistributedSampler): 4, 3 and 3 samples.
  CHECK(shard_ids(0, 3, {{"batch_size", 2}}, 0, false) == std::vector<int64_t>{0, 3, 6, 9});
  CHECK(shard_ids(1, 3, {{"batch_size", 2}}, 0, false) == std::vector<int64_t>{1, 4, 7});
  CHECK(shard_ids(2, 3, {{"batch_size", 2}}, 0, false) == std::vector<int64_t>{2, 5, 8});
}

TEST_CASE("DataLoader: ranks draw their random transforms apart") {
  auto noise_of = [](int64_t rank) {
    PretendRanks ranks(rank, 2);
    auto l = loader(std::make_shared<IndexDataset>(8), {{"batch_size", 4}, {"seed", 1}});
    return epoch(*l, 0).front().tensor("noise").clone();
  };
  CHECK_FALSE(torch::equal(noise_of(0), noise_of(1)));
}
