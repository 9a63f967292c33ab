#pragma once
// The core torchmetrics' classification metrics share: per-class true/false positive/negative
// counts. A metric accumulates the counts over the epoch and reduces them in compute(), so its
// value is exact over all samples (not a mean of batch values). Accuracy, Precision, Recall,
// FBetaScore, JaccardIndex and Dice (and their task classes) reduce the same counts differently.
#include <lighter/sdk.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lighter::torchmetrics {

enum class Task { Binary, Multiclass, Multilabel };
enum class Average { Micro, Macro, Weighted, None };

struct StatScoresOptions {
  Task task = Task::Multiclass;
  int64_t num_classes = 0;  // classes (multiclass) or labels (multilabel); 1 for binary
  double threshold = 0.5;   // binary / multilabel probabilities above it are positive
  int64_t top_k = 1;        // multiclass: a hit when the target is among the k highest scores
  Average average = Average::Micro;
  std::optional<int64_t> ignore_index;  // targets with this value are left out
  double zero_division = 0;             // a score whose denominator is 0 (F1Score, JaccardIndex)
};

// Counts of shape (num_classes) (1 for binary), int64.
struct StatScores {
  torch::Tensor tp, fp, tn, fn;

  bool defined() const { return tp.defined(); }
  void add(const StatScores& batch);
};

// One batch's counts. preds: binary/multilabel probabilities, logits (sigmoid applied when
// outside [0, 1]) or 0/1 labels; multiclass (N, C, ...) scores or (N, ...) class indices.
// target: integer labels. Throws std::invalid_argument naming the metric for bad shapes/values.
StatScores stat_scores(const StatScoresOptions& options, const torch::Tensor& preds, const torch::Tensor& target,
                       const std::string& metric);

// torchmetrics' _safe_divide: float32 division, zero_division where the denominator is 0.
torch::Tensor safe_divide(const torch::Tensor& num, const torch::Tensor& denom, double zero_division = 0);
// torchmetrics' _adjust_weights_safe_divide: the macro / weighted mean of per-class scores
// (macro leaves out multiclass classes that never occur), or the scores themselves for None.
torch::Tensor average_scores(const torch::Tensor& scores, const StatScoresOptions& options, const StatScores& s);

// A metric over accumulated stat scores, named as its Python class; subclasses give the reduction.
class StatScoresMetric : public Metric {
 public:
  StatScoresMetric(std::string name, StatScoresOptions options)
      : name_(std::move(name)), options_(std::move(options)) {}

  void update(const torch::Tensor& preds, const torch::Tensor& target) override;
  std::vector<std::pair<std::string, torch::Tensor>> forward(const torch::Tensor& preds,
                                                             const torch::Tensor& target) override;
  std::vector<std::pair<std::string, torch::Tensor>> compute() override;
  void reset() override { state_ = {}; }

  const StatScoresOptions& options() const { return options_; }

 protected:
  const std::string& name() const { return name_; }
  // Also called with all-zero counts (its result is then replaced by NaN): divide with safe_divide.
  virtual torch::Tensor reduce(const StatScores& s) const = 0;
  // One batch's counts: stat_scores with options(). Dice decides the task from the inputs.
  virtual StatScores batch_stat_scores(const torch::Tensor& preds, const torch::Tensor& target);

 private:
  torch::Tensor value_of(const StatScores& s) const;

  std::string name_;
  StatScoresOptions options_;
  StatScores state_;
};

// Parameters beyond the ones every classification metric takes, as a bit set.
enum ExtraParams : unsigned {
  kThreshold = 1,        // binary / multilabel
  kTopK = 2,             // multiclass
  kMultidimAverage = 4,  // only "global" (samplewise is not implemented)
  kZeroDivision = 8,     // 0 or 1
  kStatScores = kThreshold | kTopK | kMultidimAverage,
};

// The task wrappers (torchmetrics.Accuracy(task=...)): task, num_classes, num_labels, average,
// ignore_index, validate_args and the extras, and the options they describe.
std::vector<Param> task_params(const std::string& default_average, unsigned extras = 0);
StatScoresOptions task_options(const Args& a, unsigned extras = 0);
std::vector<Param> stat_scores_params(const std::string& default_average, unsigned extras = 0);
StatScoresOptions stat_scores_options(const Args& a, unsigned extras = 0);

// The task-specific classes (BinaryAccuracy, MulticlassAccuracy(num_classes, ...), ...): the
// task is the class's; num_classes / num_labels are required; average defaults to "macro" and
// binary has none. Extras a task does not take (top_k for binary) are left out.
std::vector<Param> task_class_params(Task task, unsigned extras, const std::string& default_average = "macro");
StatScoresOptions task_class_options(Task task, const Args& a, unsigned extras);
// The declarations of the extras alone (threshold, top_k, multidim_average, zero_division).
std::vector<Param> extra_params(unsigned extras);
// "Binary", "Multiclass", "Multilabel": the class name prefix.
std::string task_prefix(Task task);

// Input checks shared with metrics that keep raw scores: "(N, C)" for messages; integer labels
// in [0, classes) or the ignore_index (std::invalid_argument naming metric and what otherwise).
std::string shape(const torch::Tensor& t);
void check_labels(const torch::Tensor& t, int64_t classes, const StatScoresOptions& o, const std::string& metric,
                  const char* what);
// (N, C, ...) -> (N * ..., C): classes last, one row per sample (and extra position).
torch::Tensor rows(const torch::Tensor& t);

}  // namespace lighter::torchmetrics
