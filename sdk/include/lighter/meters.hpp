#pragma once
// DanLing's streaming meters (danling.metrics): running averages that keep O(1) state, for
// plugins that track losses and batch-averageable metrics outside torchmetrics-style Metrics.
#include <torch/torch.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lighter::danling {

// Sums a float64 tensor elementwise over all processes (an all-reduce) and returns the result.
// Unset (the default): torch.distributed's all-reduce over the run's ranks (lighter::dist); in
// one process bat equals val and avg is local.
using Reducer = std::function<torch::Tensor(const torch::Tensor&)>;

// Running val / avg / sum / count of scalars, or of tensors elementwise.
// The first update fixes the meter's kind: a scalar (double), or a tensor of one fixed shape
// (kept as float64, elementwise). A later update of the other kind or of another shape throws
// std::invalid_argument naming what was expected and what came. reset() frees the kind again.
class AverageMeter {
 public:
  // Adds `value` with weight n (n >= 0, else std::invalid_argument). n = 0 sets val (and the
  // kind) but leaves sum and count alone. Tensors are detached and copied.
  void update(double value, int64_t n = 1);
  void update(const torch::Tensor& value, int64_t n = 1);
  void reset();  // back to empty

  bool empty() const { return !has_value_; }  // no update since construction / reset
  bool is_tensor() const { return is_tensor_; }
  int64_t count() const { return count_; }  // sum of the weights n

  // Scalar meters (a tensor meter throws std::logic_error). An empty meter's val and bat are
  // NaN; avg is NaN while count is 0; sum starts at 0.
  double val() const;  // the last value on this process
  double bat() const;  // the last value reduced over processes (weighted by n); = val on one
  double avg() const;  // sum / count, reduced over processes
  double sum() const;

  // Any meter as float64 tensors (0-dim for a scalar meter); copies, safe to modify.
  torch::Tensor tensor_val() const;
  torch::Tensor tensor_bat() const;
  torch::Tensor tensor_avg() const;
  torch::Tensor tensor_sum() const;

  void set_reducer(Reducer reducer) { reducer_ = std::move(reducer); }

  // DanLing's f"{meter:.4f}": "val (avg)", e.g. "0.5000 (0.6200)"; NaN prints as "nan",
  // tensors as nested lists "[0.1000, 0.2000] ([0.1500, 0.2500])".
  std::string format(int precision = 4) const;

 private:
  void require_scalar(const char* what) const;

  bool has_value_ = false;
  bool is_tensor_ = false;
  int64_t n_ = 0;  // the last update's weight
  int64_t count_ = 0;
  double v_ = 0.0, sum_ = 0.0;  // scalar meters
  torch::Tensor tv_, tsum_;     // tensor meters
  Reducer reducer_;
};

// Named values of a meter collection: scalars by name; tensors in the collection's order.
using ScalarValues = std::map<std::string, double>;
using TensorValues = std::vector<std::pair<std::string, torch::Tensor>>;

// Insertion-ordered named AverageMeters, each created on first use.
class AverageMeters {
 public:
  AverageMeter& operator[](const std::string& name);      // creates the meter when absent
  const AverageMeter& at(const std::string& name) const;  // std::out_of_range naming the meters
  bool contains(const std::string& name) const;
  std::vector<std::string> names() const;
  size_t size() const { return meters_.size(); }

  void update(const std::string& name, double value, int64_t n = 1) { (*this)[name].update(value, n); }
  void update(const std::string& name, const torch::Tensor& value, int64_t n = 1) {
    (*this)[name].update(value, n);
  }
  // Every pair, in order, with the same weight: update({{"loss", 0.6}, {"acc", 0.7}}).
  void update(const std::vector<std::pair<std::string, double>>& values, int64_t n = 1);
  void reset();

  // Scalar meters only (a tensor meter throws std::logic_error); tensor_* take any meter.
  ScalarValues val() const;
  ScalarValues bat() const;
  ScalarValues avg() const;
  ScalarValues sum() const;
  std::map<std::string, int64_t> count() const;
  TensorValues tensor_val() const;
  TensorValues tensor_avg() const;

  // DanLing's f"{meters:.4f}": "loss: 0.6000 (0.6000)\tacc: 0.7000 (0.7000)" in insertion order.
  std::string format(int precision = 4) const;

 private:
  std::deque<std::pair<std::string, AverageMeter>> meters_;  // deque: references stay valid
};

// Preprocessing shared by metrics: (input, target) -> (input, target), e.g. a sigmoid.
using Preprocess =
    std::function<std::pair<torch::Tensor, torch::Tensor>(const torch::Tensor& input, const torch::Tensor& target)>;
// A batch-averageable metric (accuracy, a loss): one number per batch.
using MetricFunction = std::function<double(const torch::Tensor& input, const torch::Tensor& target)>;

// An AverageMeter fed by a metric: update(input, target) preprocesses (when set), evaluates the
// metric on the batch, and adds it weighted by the batch size, so avg is the per-sample mean of
// the metric over batches (exact for accuracy-like metrics, not for AUROC).
class MetricMeter : public AverageMeter {
 public:
  explicit MetricMeter(MetricFunction metric, Preprocess preprocess = nullptr);

  // n defaults to the batch size: input.size(0) after preprocessing (1 for a 0-dim input);
  // an explicit n must be > 0 (std::invalid_argument). Runs without autograd.
  void update(const torch::Tensor& input, const torch::Tensor& target, std::optional<int64_t> n = std::nullopt);

 private:
  friend class StreamMetrics;
  void update_preprocessed(const torch::Tensor& input, const torch::Tensor& target, std::optional<int64_t> n);

  MetricFunction metric_;
  Preprocess preprocess_;
};

// Several MetricMeters sharing one preprocessing, run once per update.
class StreamMetrics {
 public:
  explicit StreamMetrics(std::vector<std::pair<std::string, MetricFunction>> metrics = {},
                         Preprocess preprocess = nullptr);

  void add(const std::string& name, MetricFunction metric);  // replaces a meter of that name
  // Preprocesses once, then updates every meter with the result (n as MetricMeter::update).
  void update(const torch::Tensor& input, const torch::Tensor& target, std::optional<int64_t> n = std::nullopt);
  void reset();

  MetricMeter& operator[](const std::string& name);  // std::out_of_range naming the meters
  const MetricMeter& operator[](const std::string& name) const;
  bool contains(const std::string& name) const;
  std::vector<std::string> names() const;
  size_t size() const { return meters_.size(); }

  ScalarValues val() const;
  ScalarValues bat() const;
  ScalarValues avg() const;
  ScalarValues sum() const;
  std::map<std::string, int64_t> count() const;
  std::string format(int precision = 4) const;  // as AverageMeters::format

 private:
  std::deque<std::pair<std::string, MetricMeter>> meters_;
  Preprocess preprocess_;
};

}  // namespace lighter::danling
