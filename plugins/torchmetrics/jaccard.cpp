// torchmetrics.JaccardIndex and its task classes (BinaryJaccardIndex, MulticlassJaccardIndex,
// MultilabelJaccardIndex): tp / (tp + fp + fn) per class from the epoch's stat scores, reduced
// as torchmetrics' _jaccard_index_reduce reduces its confusion matrix.
#include "registrations.hpp"
#include "stat_scores.hpp"

namespace lighter::torchmetrics {

namespace {
class JaccardIndex : public StatScoresMetric {
 public:
  using StatScoresMetric::StatScoresMetric;

 protected:
  torch::Tensor reduce(const StatScores& s) const override {
    const auto& o = options();
    const auto denom = s.tp + s.fp + s.fn;
    if (o.task == Task::Binary) return safe_divide(s.tp.sum(), denom.sum(), o.zero_division);
    // An ignore_index that is a class index also drops that class from micro and macro.
    const bool ignored_class = o.ignore_index && *o.ignore_index >= 0 && *o.ignore_index < o.num_classes;
    if (o.average == Average::Micro) {
      auto total = denom.sum();
      if (ignored_class) total = total - denom[*o.ignore_index];
      return safe_divide(s.tp.sum(), total, o.zero_division);
    }
    const auto jaccard = safe_divide(s.tp, denom, o.zero_division);
    if (o.average == Average::None) return jaccard;
    torch::Tensor weights;
    if (o.average == Average::Weighted) {
      weights = (s.tp + s.fn).to(torch::kFloat);
    } else {
      weights = torch::ones_like(jaccard);
      if (ignored_class) weights[*o.ignore_index] = 0.0;
      if (o.task == Task::Multiclass) weights = weights.masked_fill(denom == 0, 0.0);
    }
    // A plain division, as torchmetrics: no weight at all gives NaN.
    return (weights * jaccard / weights.sum()).sum();
  }
};
}  // namespace

void register_jaccard(Registrar& r) {
  const std::string doc = "intersection over union tp / (tp + fp + fn), exact over the epoch";
  constexpr unsigned extras = kThreshold | kZeroDivision;
  add_metric(r, "classification", "JaccardIndex", doc, task_params("macro", extras),
             [](const Args& a) { return std::make_shared<JaccardIndex>("JaccardIndex", task_options(a, extras)); },
             true);
  for (Task task : {Task::Binary, Task::Multiclass, Task::Multilabel}) {
    const std::string name = task_prefix(task) + "JaccardIndex";
    add_metric(r, "classification", name, doc, task_class_params(task, extras), [task, name](const Args& a) {
      return std::make_shared<JaccardIndex>(name, task_class_options(task, a, extras));
    }, false);
  }
}

}  // namespace lighter::torchmetrics
