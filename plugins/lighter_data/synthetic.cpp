// lighter.datasets.Synthetic: seeded in-memory classification / regression data for examples,
// smoke tests and benchmarks.
#include <lighter/data.hpp>

#include "registrations.hpp"
#include "seeding.hpp"

namespace lighter::data {

namespace {
class SyntheticDataset : public Dataset {
 public:
  SyntheticDataset(torch::Tensor inputs, torch::Tensor targets)
      : inputs_(std::move(inputs)), targets_(std::move(targets)) {}

  int64_t size() const override { return inputs_.size(0); }

  Dict get(int64_t index, torch::Generator&) const override {
    batch_indices({index}, size(), "Synthetic");
    return {{"input", inputs_[index]}, {"target", targets_[index]}, {"id", index}};
  }

  Dict get_batch(const std::vector<int64_t>& indices, torch::Generator&) const override {
    torch::Tensor ids = batch_indices(indices, size(), "Synthetic");
    return {{"input", inputs_.index_select(0, ids)}, {"target", targets_.index_select(0, ids)}, {"id", ids}};
  }
  bool random() const override { return false; }

 private:
  torch::Tensor inputs_, targets_;
};

struct Spec {
  int64_t num_samples, num_features, num_classes;
  double noise;
  uint64_t seed, task_seed;
};

// Gaussian blobs: balanced labels, each sample its class centre plus noise. The centres come
// from task_seed, so splits drawn with different seeds share one distribution.
std::shared_ptr<Dataset> classification(const Spec& s) {
  torch::Generator task = seeded_generator(s.task_seed);
  torch::Tensor centres = torch::randn({s.num_classes, s.num_features}, task);
  torch::Generator samples = seeded_generator(s.seed);
  torch::Tensor labels = torch::arange(s.num_samples, torch::kLong).remainder(s.num_classes);
  labels = labels.index_select(0, torch::randperm(s.num_samples, samples, torch::kLong));
  torch::Tensor inputs =
      centres.index_select(0, labels) + s.noise * torch::randn({s.num_samples, s.num_features}, samples);
  return std::make_shared<SyntheticDataset>(inputs, labels);
}

// A noisy linear function of standard-normal inputs; the weights come from task_seed.
std::shared_ptr<Dataset> regression(const Spec& s) {
  torch::Generator task = seeded_generator(s.task_seed);
  torch::Tensor weights = torch::randn({s.num_features}, task);
  torch::Generator samples = seeded_generator(s.seed);
  torch::Tensor inputs = torch::randn({s.num_samples, s.num_features}, samples);
  torch::Tensor targets = inputs.matmul(weights) + s.noise * torch::randn({s.num_samples}, samples);
  return std::make_shared<SyntheticDataset>(inputs, targets);
}
}  // namespace

void register_synthetic(Registrar& r) {
  using namespace lighter::param;
  r.add<Dataset>(
      "lighter.datasets.Synthetic",
      "seeded random data: gaussian class blobs (classification) or a noisy linear target (regression)",
      {choice("task", {"classification", "regression"}, "classification", "kind of target"),
       integer("num_samples", 1000, "number of samples"), integer("num_features", 10, "features per sample"),
       integer("num_classes", 2, "classes (classification)"),
       real("noise", 1.0, "standard deviation of the gaussian noise"),
       integer("seed", 0, "seed of the samples (use different seeds for train / val splits)"),
       integer("task_seed", 0, "seed of the class centres / regression weights shared by all splits")},
      [](const Args& a) {
        Spec s{a.get<int64_t>("num_samples"), a.get<int64_t>("num_features"), a.get<int64_t>("num_classes"),
               a.get<double>("noise"), static_cast<uint64_t>(a.get<int64_t>("seed")),
               static_cast<uint64_t>(a.get<int64_t>("task_seed"))};
        if (s.num_samples < 1) a.fail("num_samples", "expected an integer >= 1");
        if (s.num_features < 1) a.fail("num_features", "expected an integer >= 1");
        if (!(s.noise >= 0)) a.fail("noise", "expected a number >= 0");
        if (a.get<std::string>("task") == "regression") return regression(s);
        if (s.num_classes < 2) a.fail("num_classes", "expected an integer >= 2");
        return classification(s);
      });
}

}  // namespace lighter::data
