// torchmetrics.MeanSquaredError and MeanAbsoluteError: the epoch's summed errors over its count of
// observations, so the value is exact over the epoch (not a mean of batch values).
#include "registrations.hpp"
#include "stat_scores.hpp"

#include <stdexcept>

namespace lighter::torchmetrics {

namespace {
class RegressionError : public Metric {
 public:
  // squared: (preds - target)^2, else |preds - target|; root: the square root of the mean (RMSE).
  RegressionError(std::string name, bool squared, bool root, int64_t num_outputs)
      : name_(std::move(name)), squared_(squared), root_(root), outputs_(num_outputs) {}

  void update(const torch::Tensor& preds, const torch::Tensor& target) override { add(batch(preds, target)); }
  std::vector<std::pair<std::string, torch::Tensor>> forward(const torch::Tensor& preds,
                                                             const torch::Tensor& target) override {
    auto b = batch(preds, target);
    add(b);
    return {{name_, value(b.first, b.second)}};
  }
  std::vector<std::pair<std::string, torch::Tensor>> compute() override {
    torch::Tensor sum = sum_.defined() ? sum_.clone() : torch::zeros(size(), torch::kDouble);
    int64_t count = count_;
    if (dist::world_size() > 1) {  // torchmetrics' sync on compute
      dist::all_reduce(sum);
      auto counts = torch::tensor({count}, torch::kLong);
      dist::all_reduce(counts);
      count = counts.item<int64_t>();
    }
    return {{name_, value(sum, count)}};
  }
  void reset() override {
    sum_ = torch::Tensor();
    count_ = 0;
  }

 private:
  std::vector<int64_t> size() const { return outputs_ == 1 ? std::vector<int64_t>{} : std::vector<int64_t>{outputs_}; }

  // The batch's summed errors (one per output) and its number of observations.
  std::pair<torch::Tensor, int64_t> batch(const torch::Tensor& preds, const torch::Tensor& target) const {
    torch::NoGradGuard no_grad;
    if (preds.sizes() != target.sizes())
      throw std::invalid_argument(name_ + ": preds " + shape(preds) + " and target " + shape(target) +
                                  " must have the same shape");
    if (outputs_ > 1 && (preds.dim() != 2 || preds.size(1) != outputs_))
      throw std::invalid_argument(name_ + ": preds and target " + shape(preds) + " must be (N, num_outputs=" +
                                  std::to_string(outputs_) + ")");
    auto diff = preds.detach().to(torch::kDouble) - target.detach().to(torch::kDouble);
    if (outputs_ == 1) diff = diff.reshape({-1});
    auto errors = squared_ ? diff * diff : diff.abs();
    return {errors.sum(0), diff.size(0)};
  }

  void add(const std::pair<torch::Tensor, int64_t>& b) {
    sum_ = sum_.defined() ? sum_ + b.first : b.first;
    count_ += b.second;
  }

  // No observation: 0 / 0, NaN.
  torch::Tensor value(const torch::Tensor& sum, int64_t count) const {
    auto mean = sum / static_cast<double>(count);
    return (root_ ? mean.sqrt() : mean).to(torch::kFloat);
  }

  std::string name_;
  bool squared_, root_;
  int64_t outputs_;
  torch::Tensor sum_;
  int64_t count_ = 0;
};
}  // namespace

void register_regression(Registrar& r) {
  using namespace lighter::param;
  Param outputs = integer("num_outputs", 1, "number of outputs (columns of (N, num_outputs) inputs)");
  outputs.check = [](const Value& v) { return v.is_int() && v.as_int() >= 1 ? "" : "an integer >= 1"; };
  add_metric(r, "regression", "MeanSquaredError", "mean squared error (squared=false: its root), exact over the epoch",
             {boolean("squared", true, "false gives the root mean squared error"), outputs}, [](const Args& a) {
               return std::make_shared<RegressionError>("MeanSquaredError", true, !a.get<bool>("squared"),
                                                        a.get<int64_t>("num_outputs"));
             }, true);
  add_metric(r, "regression", "MeanAbsoluteError", "mean absolute error, exact over the epoch", {},
             [](const Args&) { return std::make_shared<RegressionError>("MeanAbsoluteError", false, false, 1); }, true);
}

}  // namespace lighter::torchmetrics
