// An example third-party plugin: a model (project.Regressor) and a data module
// (project.LineData) with its own in-memory dataset and data loader.
//
// Build it against the installed SDK (see meson.build); run it from project/, whose
// __lighter__.toml makes lighter-host load build/line_regression.so as `project.*`.
#include <ATen/CPUGeneratorImpl.h>
#include <lighter/sdk.hpp>

#include <algorithm>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace {

using lighter::Dict;

// ---------------------------------------------------------------------------------------------
// The model: a LighterModule subclass. The base class takes the usual parameters (network,
// criterion, optimizer, scheduler, metrics), wires the optimizer to the network's parameters
// and logs the `loss` each step returns as train/loss/step, train/loss/epoch, val/loss/epoch.
class Regressor : public lighter::LighterModule {
 public:
  using LighterModule::LighterModule;

  Dict training_step(const Dict& batch, int64_t) override { return {{"loss", loss(batch)}}; }
  Dict validation_step(const Dict& batch, int64_t) override { return {{"loss", loss(batch)}}; }
  Dict test_step(const Dict& batch, int64_t) override { return {{"loss", loss(batch)}}; }

  Dict predict_step(const Dict& batch, int64_t) override {
    return {{"pred", forward(batch.tensor("input"))}, {"target", batch.tensor("target")}, {"id", batch.at("id")}};
  }

 private:
  // Mean squared error of the network's output, or the configured criterion when there is one.
  torch::Tensor loss(const Dict& batch) {
    torch::Tensor pred = forward(batch.tensor("input"));
    torch::Tensor target = batch.tensor("target").to(pred.scalar_type()).reshape(pred.sizes());
    if (criterion()) return criterion()->forward(pred, target);
    return torch::mse_loss(pred, target);
  }
};

// ---------------------------------------------------------------------------------------------
// The data: noisy samples of y = slope * x + intercept with x uniform in [-1, 1], drawn from a
// seed, so a run is reproducible.
class LineDataset : public lighter::Dataset {
 public:
  LineDataset(int64_t size, double slope, double intercept, double noise, uint64_t seed) {
    torch::Generator generator = at::detail::createCPUGenerator(seed);
    x_ = torch::rand({size, 1}, generator) * 2 - 1;
    y_ = slope * x_ + intercept + noise * torch::randn({size, 1}, generator);
  }

  int64_t size() const override { return x_.size(0); }

  Dict get(int64_t index, torch::Generator&) const override {
    return {{"input", x_[index]}, {"target", y_[index]}, {"id", index}};
  }

  // Whole batches at once, without per-sample tensors.
  Dict get_batch(const std::vector<int64_t>& indices, torch::Generator&) const override {
    torch::Tensor ids = torch::tensor(indices, torch::kLong);
    return {{"input", x_.index_select(0, ids)}, {"target", y_.index_select(0, ids)}, {"id", ids}};
  }

 private:
  torch::Tensor x_, y_;
};

// Batches in order, or shuffled with an order that depends only on (seed, epoch).
class LineLoader : public lighter::DataLoader {
 public:
  LineLoader(std::shared_ptr<LineDataset> dataset, int64_t batch_size, bool shuffle, uint64_t seed)
      : dataset_(std::move(dataset)), batch_size_(batch_size), shuffle_(shuffle), seed_(seed) {}

  int64_t num_batches() const override { return (dataset_->size() + batch_size_ - 1) / batch_size_; }
  int64_t batch_size() const override { return batch_size_; }

  void start_epoch(int64_t epoch) override {
    generator_ = at::detail::createCPUGenerator(seed_ * 1000003u + static_cast<uint64_t>(epoch));
    const int64_t n = dataset_->size();
    if (shuffle_) {
      torch::Tensor perm = torch::randperm(n, *generator_, torch::kLong);
      order_.assign(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + n);
    } else {
      order_.resize(n);
      std::iota(order_.begin(), order_.end(), int64_t{0});
    }
    cursor_ = 0;
  }

  std::optional<Dict> next() override {
    if (!generator_) start_epoch(0);
    if (cursor_ >= static_cast<int64_t>(order_.size())) return std::nullopt;
    const int64_t end = std::min<int64_t>(cursor_ + batch_size_, static_cast<int64_t>(order_.size()));
    std::vector<int64_t> indices(order_.begin() + cursor_, order_.begin() + end);
    cursor_ = end;
    return dataset_->get_batch(indices, *generator_);
  }

 private:
  std::shared_ptr<LineDataset> dataset_;
  int64_t batch_size_;
  bool shuffle_;
  uint64_t seed_;
  std::optional<torch::Generator> generator_;
  std::vector<int64_t> order_;
  int64_t cursor_ = 0;
};

// A training split (shuffled) and a validation split (also used for test and predict), drawn
// with different seeds from the same line.
class LineData : public lighter::DataModule {
 public:
  struct Options {
    int64_t num_train, num_val, batch_size;
    double slope, intercept, noise;
    uint64_t seed;
  };
  explicit LineData(const Options& o) : options_(o) {}

  void setup(const std::string&) override {
    if (train_) return;
    const Options& o = options_;
    train_ = std::make_shared<LineLoader>(
        std::make_shared<LineDataset>(o.num_train, o.slope, o.intercept, o.noise, 2 * o.seed), o.batch_size, true, o.seed);
    val_ = std::make_shared<LineLoader>(
        std::make_shared<LineDataset>(o.num_val, o.slope, o.intercept, o.noise, 2 * o.seed + 1), o.batch_size, false, o.seed);
  }
  std::shared_ptr<lighter::DataLoader> train_dataloader() override { return train_; }
  std::shared_ptr<lighter::DataLoader> val_dataloader() override { return val_; }
  std::shared_ptr<lighter::DataLoader> test_dataloader() override { return val_; }
  std::shared_ptr<lighter::DataLoader> predict_dataloader() override { return val_; }

 private:
  Options options_;
  std::shared_ptr<LineLoader> train_, val_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Registration. Names become `project.Regressor` and `project.LineData` when the library is
// loaded through a project marker. Declared parameters give config errors with suggestions and
// `lighter-host plugins --describe project.LineData`.
LIGHTER_PLUGIN(registrar) {
  using namespace lighter::param;

  registrar.add<lighter::Model>(
      "Regressor", "regression with a mean-squared-error loss (or model::criterion when set)",
      lighter::LighterModule::params(),
      [](const lighter::Args& args) { return std::make_shared<Regressor>(lighter::LighterModule::parts_from(args)); });

  registrar.add<lighter::DataModule>(
      "LineData", "noisy samples of y = slope * x + intercept, x uniform in [-1, 1]",
      {integer("num_train", 256, "training samples"), integer("num_val", 64, "validation samples"),
       integer("batch_size", 32, "samples per batch"), real("slope", 3.0, "slope of the line"),
       real("intercept", 1.0, "intercept of the line"), real("noise", 0.1, "standard deviation of the noise on y"),
       integer("seed", 0, "seed of the samples and of the shuffling order")},
      [](const lighter::Args& args) {
        LineData::Options o;
        o.num_train = args.get<int64_t>("num_train");
        o.num_val = args.get<int64_t>("num_val");
        o.batch_size = args.get<int64_t>("batch_size");
        o.slope = args.get<double>("slope");
        o.intercept = args.get<double>("intercept");
        o.noise = args.get<double>("noise");
        const int64_t seed = args.get<int64_t>("seed");
        if (o.num_train < 1) args.fail("num_train", "expected an integer >= 1");
        if (o.num_val < 1) args.fail("num_val", "expected an integer >= 1");
        if (o.batch_size < 1) args.fail("batch_size", "expected an integer >= 1");
        if (!(o.noise >= 0)) args.fail("noise", "expected a number >= 0");
        if (seed < 0) args.fail("seed", "expected an integer >= 0");
        o.seed = static_cast<uint64_t>(seed);
        return std::make_shared<LineData>(o);
      });
}
