// torchvision.transforms: Compose, Normalize, ToTensor and the random flips. Randomness comes
// only from the generator passed with each sample.
#include <lighter/sdk.hpp>

#include "registrations.hpp"
#include "transform_args.hpp"

namespace lighter::torchvision {

namespace {
class Compose : public Transform {
 public:
  explicit Compose(std::vector<std::shared_ptr<Transform>> transforms) : transforms_(std::move(transforms)) {}
  torch::Tensor apply(const torch::Tensor& sample, torch::Generator& generator) const override {
    torch::Tensor out = sample;
    for (const auto& t : transforms_) out = t->apply(out, generator);
    return out;
  }
  bool random() const override {
    for (const auto& t : transforms_)
      if (t->random()) return true;
    return false;
  }
  // Deterministic chains run batch-wise; random ones keep the per-sample draw order.
  torch::Tensor apply_batch(const torch::Tensor& batch, torch::Generator& generator) const override {
    if (random()) return Transform::apply_batch(batch, generator);
    torch::Tensor out = batch;
    for (const auto& t : transforms_) out = t->apply_batch(out, generator);
    return out;
  }

 private:
  std::vector<std::shared_ptr<Transform>> transforms_;
};

// (x - mean[c]) / std[c] per channel c of a float [..., C, H, W] image; one value applies to all.
class Normalize : public DeterministicTransform {  // per-channel constants: batches work alike
 public:
  Normalize(const std::vector<double>& mean, const std::vector<double>& std)
      : mean_(torch::tensor(mean, torch::kFloat).view({-1, 1, 1})),
        std_(torch::tensor(std, torch::kFloat).view({-1, 1, 1})) {}
  torch::Tensor apply(const torch::Tensor& sample, torch::Generator&) const override {
    if (!sample.is_floating_point())
      throw std::invalid_argument(std::string("Normalize: expected a float image, got ") +
                                  c10::toString(sample.scalar_type()) +
                                  " (the datasets already yield floats in [0, 1])");
    if (sample.dim() < 3) throw std::invalid_argument("Normalize: expected an image tensor [..., C, H, W]");
    const int64_t channels = sample.size(-3);
    for (const auto* values : {&mean_, &std_})
      if (values->size(0) != 1 && values->size(0) != channels)
        throw std::invalid_argument("Normalize: the image has " + std::to_string(channels) + " channels but " +
                                    (values == &mean_ ? "mean" : "std") + " has " + std::to_string(values->size(0)) +
                                    " values");
    return (sample - mean_.to(sample.scalar_type())) / std_.to(sample.scalar_type());
  }

 private:
  torch::Tensor mean_, std_;  // [C or 1, 1, 1]
};

// The datasets already yield ToTensor's float [C, H, W] in [0, 1]; kept so Python configs port.
class ToTensor : public DeterministicTransform {
 public:
  torch::Tensor apply(const torch::Tensor& sample, torch::Generator&) const override {
    if (sample.scalar_type() == torch::kByte) return sample.to(torch::kFloat).div(255);
    if (sample.is_floating_point()) return sample;
    throw std::invalid_argument(std::string("ToTensor: expected uint8 or float, got ") +
                                c10::toString(sample.scalar_type()));
  }
};

// Flips the image along `dim` with probability p; draws one number per sample, as torchvision does.
class RandomFlip : public Transform {
 public:
  RandomFlip(double p, int64_t dim) : p_(p), dim_(dim) {}
  torch::Tensor apply(const torch::Tensor& sample, torch::Generator& generator) const override {
    if (torch::rand({1}, generator).item<double>() < p_) return sample.flip({dim_});
    return sample;
  }

 private:
  double p_;
  int64_t dim_;
};

double probability(const Args& a) {
  const double p = a.get<double>("p");
  if (!(p >= 0 && p <= 1)) a.fail("p", "expected a probability between 0 and 1, got " + std::to_string(p));
  return p;
}

std::vector<double> per_channel(const Args& a, const std::string& key) {
  auto values = a.get<std::vector<double>>(key);
  if (values.empty()) a.fail(key, "expected one value per channel, got an empty list");
  return values;
}
}  // namespace

void register_transforms(Registrar& r) {
  using namespace lighter::param;
  r.add<Transform>("torchvision.transforms.Compose", "applies its transforms in order",
                   {components("transforms", Kind::Transform, "the transforms, first applied first")},
                   [](const Args& a) { return std::make_shared<Compose>(a.components<Transform>("transforms")); });
  r.add<Transform>("torchvision.transforms.Normalize", "(x - mean) / std per channel",
                   {list("mean", Type::Float, std::nullopt, "per-channel means (one value: all channels)"),
                    list("std", Type::Float, std::nullopt, "per-channel standard deviations (one value: all channels)"),
                    boolean("inplace", false, "accepted for Python configs; results are the same")},
                   [](const Args& a) {
                     auto mean = per_channel(a, "mean"), std = per_channel(a, "std");
                     for (size_t c = 0; c < std.size(); ++c)
                       if (std[c] == 0)
                         a.fail("std", "std[" + std::to_string(c) + "] is 0, which would divide by zero");
                     return std::make_shared<Normalize>(mean, std);
                   });
  r.add<Transform>("torchvision.transforms.ToTensor",
                   "uint8 images to float in [0, 1]; float images pass unchanged (the datasets already convert)", {},
                   [](const Args&) { return std::make_shared<ToTensor>(); });
  r.add<Transform>("torchvision.transforms.RandomHorizontalFlip", "mirrors left-right with probability p",
                   {real("p", 0.5, "probability of flipping")},
                   [](const Args& a) { return std::make_shared<RandomFlip>(probability(a), -1); });
  r.add<Transform>("torchvision.transforms.RandomVerticalFlip", "mirrors top-bottom with probability p",
                   {real("p", 0.5, "probability of flipping")},
                   [](const Args& a) { return std::make_shared<RandomFlip>(probability(a), -2); });
}

}  // namespace lighter::torchvision
