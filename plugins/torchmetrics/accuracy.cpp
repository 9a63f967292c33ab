// torchmetrics.Accuracy and its task classes (BinaryAccuracy, MulticlassAccuracy,
// MultilabelAccuracy): the fraction of correct predictions, from the epoch's stat scores.
#include "registrations.hpp"
#include "stat_scores.hpp"

namespace lighter::torchmetrics {

namespace {
class Accuracy : public StatScoresMetric {
 public:
  using StatScoresMetric::StatScoresMetric;

 protected:
  // torchmetrics' _accuracy_reduce (multidim_average="global").
  torch::Tensor reduce(const StatScores& s) const override {
    const auto& o = options();
    if (o.task == Task::Binary) return safe_divide((s.tp + s.tn).sum(), (s.tp + s.tn + s.fp + s.fn).sum());
    const bool multilabel = o.task == Task::Multilabel;
    if (o.average == Average::Micro) {
      if (multilabel) return safe_divide((s.tp + s.tn).sum(), (s.tp + s.tn + s.fp + s.fn).sum());
      return safe_divide(s.tp.sum(), (s.tp + s.fn).sum());
    }
    auto scores = multilabel ? safe_divide(s.tp + s.tn, s.tp + s.tn + s.fp + s.fn) : safe_divide(s.tp, s.tp + s.fn);
    return average_scores(scores, o, s);
  }
};
}  // namespace

void register_accuracy(Registrar& r) {
  add_metric(r, "classification", "Accuracy", "fraction of correct predictions, exact over the epoch",
             stat_scores_params("micro"),
             [](const Args& a) { return std::make_shared<Accuracy>("Accuracy", stat_scores_options(a)); }, true);
  for (Task task : {Task::Binary, Task::Multiclass, Task::Multilabel}) {
    const std::string name = task_prefix(task) + "Accuracy";
    add_metric(r, "classification", name, "fraction of correct predictions, exact over the epoch",
               task_class_params(task, kStatScores), [task, name](const Args& a) {
                 return std::make_shared<Accuracy>(name, task_class_options(task, a, kStatScores));
               }, false);
  }
}

}  // namespace lighter::torchmetrics
