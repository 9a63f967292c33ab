// torchmetrics.Precision, Recall and F1Score: the epoch's stat scores reduced as torchmetrics'
// _precision_recall_reduce and _fbeta_reduce (beta = 1) do.
#include "registrations.hpp"
#include "stat_scores.hpp"

#include <stdexcept>

namespace lighter::torchmetrics {

namespace {
enum class Score { Precision, Recall, F1 };

// score(tp, fp, fn) for one class or summed over classes; 0 where undefined (zero_division=0).
torch::Tensor score_of(Score score, const torch::Tensor& tp, const torch::Tensor& fp, const torch::Tensor& fn) {
  switch (score) {
    case Score::Precision: return safe_divide(tp, tp + fp);
    case Score::Recall: return safe_divide(tp, tp + fn);
    case Score::F1: return safe_divide(2 * tp, 2 * tp + fn + fp);
  }
  throw std::logic_error("unknown score");
}

class ClassificationScore : public StatScoresMetric {
 public:
  ClassificationScore(Score score, StatScoresOptions options) : StatScoresMetric(std::move(options)), score_(score) {}

 protected:
  std::string name() const override {
    return score_ == Score::Precision ? "Precision" : score_ == Score::Recall ? "Recall" : "F1Score";
  }

  torch::Tensor reduce(const StatScores& s) const override {
    const auto& o = options();
    if (o.task == Task::Binary || o.average == Average::Micro)
      return score_of(score_, s.tp.sum(), s.fp.sum(), s.fn.sum());
    auto weighting = o;
    // torchmetrics' _fbeta_reduce weighs classes as for top_k = 1 whatever top_k is.
    if (score_ == Score::F1) weighting.top_k = 1;
    return average_scores(score_of(score_, s.tp, s.fp, s.fn), weighting, s);
  }

 private:
  Score score_;
};

void add(Registrar& r, const std::string& type, Score score, const std::string& doc) {
  r.add<Metric>(type, doc, stat_scores_params("macro"), [score](const Args& a) {
    return std::make_shared<ClassificationScore>(score, stat_scores_options(a));
  });
}
}  // namespace

void register_precision_recall(Registrar& r) {
  add(r, "torchmetrics.Precision", Score::Precision, "tp / (tp + fp), exact over the epoch");
  add(r, "torchmetrics.Recall", Score::Recall, "tp / (tp + fn), exact over the epoch");
  add(r, "torchmetrics.F1Score", Score::F1, "2 tp / (2 tp + fp + fn), exact over the epoch");
}

}  // namespace lighter::torchmetrics
