#pragma once
// torchmetrics-style metrics: state accumulates over the epoch, compute() is exact over it.
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "lighter/object.hpp"

namespace lighter {

class Metric : public Object {
 public:
  static constexpr Kind static_kind = Kind::Metric;
  Kind kind() const override { return Kind::Metric; }

  virtual void update(const torch::Tensor& preds, const torch::Tensor& target) = 0;
  // torchmetrics' forward: updates the epoch state and returns this batch's own values.
  virtual std::vector<std::pair<std::string, torch::Tensor>> forward(const torch::Tensor& preds,
                                                                     const torch::Tensor& target) = 0;
  // Named values ("Accuracy" -> 0.91); a collection returns one entry per member.
  virtual std::vector<std::pair<std::string, torch::Tensor>> compute() = 0;
  virtual void reset() = 0;
};

}  // namespace lighter
