// torchmetrics.Accuracy: the fraction of correct predictions, from the epoch's stat scores.
#include "registrations.hpp"
#include "stat_scores.hpp"

namespace lighter::torchmetrics {

namespace {
class Accuracy : public StatScoresMetric {
 public:
  using StatScoresMetric::StatScoresMetric;

 protected:
  std::string name() const override { return "Accuracy"; }

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
  r.add<Metric>("torchmetrics.Accuracy", "fraction of correct predictions, exact over the epoch",
                stat_scores_params("micro"),
                [](const Args& a) { return std::make_shared<Accuracy>(stat_scores_options(a)); });
}

}  // namespace lighter::torchmetrics
