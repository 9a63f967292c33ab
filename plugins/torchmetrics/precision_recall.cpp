// torchmetrics.Precision, Recall, F1Score, FBetaScore and their task classes (BinaryPrecision,
// MulticlassF1Score, MultilabelFBetaScore, ...): the epoch's stat scores reduced as torchmetrics'
// _precision_recall_reduce and _fbeta_reduce do.
#include "registrations.hpp"
#include "stat_scores.hpp"

#include <stdexcept>

namespace lighter::torchmetrics {

namespace {
enum class Score { Precision, Recall, FBeta };

class ClassificationScore : public StatScoresMetric {
 public:
  ClassificationScore(std::string name, Score score, double beta, StatScoresOptions options)
      : StatScoresMetric(std::move(name), std::move(options)), score_(score), beta2_(beta * beta) {}

 protected:
  torch::Tensor reduce(const StatScores& s) const override {
    const auto& o = options();
    if (o.task == Task::Binary || o.average == Average::Micro) return score_of(s.tp.sum(), s.fp.sum(), s.fn.sum());
    auto weighting = o;
    // torchmetrics' _fbeta_reduce weighs classes as for top_k = 1 whatever top_k is.
    if (score_ == Score::FBeta) weighting.top_k = 1;
    return average_scores(score_of(s.tp, s.fp, s.fn), weighting, s);
  }

 private:
  // The score for one class or summed over classes; zero_division where undefined.
  torch::Tensor score_of(const torch::Tensor& tp, const torch::Tensor& fp, const torch::Tensor& fn) const {
    const double zero = options().zero_division;
    switch (score_) {
      case Score::Precision: return safe_divide(tp, tp + fp, zero);
      case Score::Recall: return safe_divide(tp, tp + fn, zero);
      case Score::FBeta: return safe_divide((1 + beta2_) * tp, (1 + beta2_) * tp + beta2_ * fn + fp, zero);
    }
    throw std::logic_error("unknown score");
  }

  Score score_;
  double beta2_;
};

Param beta_param(std::optional<double> default_value) {
  Param beta = param::real("beta", default_value, "weight of recall against precision (1: F1)");
  beta.check = [](const Value& v) { return v.is_number() && v.as_number() > 0 ? "" : "a number > 0"; };
  return beta;
}

// The wrapper `name` (task=...) and its three task classes; FBetaScore also takes beta.
void add_family(Registrar& r, const std::string& name, Score score, unsigned extras, const std::string& doc) {
  const bool takes_beta = name == "FBetaScore";
  auto beta_of = [takes_beta](const Args& a) { return takes_beta ? a.get<double>("beta") : 1.0; };
  auto params = stat_scores_params("micro", extras);
  if (takes_beta) params.insert(params.begin() + 1, beta_param(1.0));
  add_metric(r, "classification", name, doc, params, [=](const Args& a) {
    return std::make_shared<ClassificationScore>(name, score, beta_of(a), stat_scores_options(a, extras));
  }, true);
  for (Task task : {Task::Binary, Task::Multiclass, Task::Multilabel}) {
    const std::string class_name = task_prefix(task) + name;
    auto class_params = task_class_params(task, kStatScores | extras);
    if (takes_beta) class_params.insert(class_params.begin(), beta_param(std::nullopt));
    add_metric(r, "classification", class_name, doc, class_params, [=](const Args& a) {
      return std::make_shared<ClassificationScore>(class_name, score, beta_of(a),
                                                   task_class_options(task, a, kStatScores | extras));
    }, false);
  }
}
}  // namespace

void register_precision_recall(Registrar& r) {
  add_family(r, "Precision", Score::Precision, 0, "tp / (tp + fp), exact over the epoch");
  add_family(r, "Recall", Score::Recall, 0, "tp / (tp + fn), exact over the epoch");
  add_family(r, "F1Score", Score::FBeta, kZeroDivision, "2 tp / (2 tp + fp + fn), exact over the epoch");
  add_family(r, "FBetaScore", Score::FBeta, kZeroDivision,
             "(1 + beta^2) tp / ((1 + beta^2) tp + beta^2 fn + fp), exact over the epoch");
}

}  // namespace lighter::torchmetrics
