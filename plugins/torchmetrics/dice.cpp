// torchmetrics.Dice, the classification Dice of torchmetrics 1.0 to 1.6 (removed in 1.7):
// 2 tp / (2 tp + fp + fn) from the epoch's stat scores. As its legacy input handling, the task
// follows the inputs: float preds (N, C, ...) with target (N, ...) are multiclass scores (the
// top_k best count), integer preds shaped as target are class labels, float preds shaped as
// target binary (N,) or multilabel (N, L, ...) probabilities (threshold). ignore_index names a
// class whose counts are left out, not a target value to skip.
#include "registrations.hpp"
#include "stat_scores.hpp"

#include <stdexcept>

namespace lighter::torchmetrics {

namespace {
class Dice : public StatScoresMetric {
 public:
  Dice(StatScoresOptions options, std::optional<int64_t> num_classes, bool multidim_ok, bool top_k_set)
      : StatScoresMetric("Dice", std::move(options)),
        num_classes_(num_classes),
        multidim_ok_(multidim_ok),
        top_k_set_(top_k_set) {}

  void reset() override {
    StatScoresMetric::reset();
    seen_.reset();
  }

 protected:
  StatScores batch_stat_scores(const torch::Tensor& preds, const torch::Tensor& target) override {
    const StatScoresOptions o = resolve(preds, target);
    StatScores s = stat_scores(o, preds, target, name());
    if (const auto ignored = options().ignore_index) {  // torchmetrics drops the class's column
      for (auto* counts : {&s.tp, &s.fp, &s.tn, &s.fn}) (*counts)[*ignored] = 0;
    }
    return s;
  }

  // torchmetrics' _dice_compute and _reduce_stat_scores: micro over all counts; macro the mean over
  // the classes that occur (tp + fp + fn > 0), 0 when none does.
  torch::Tensor reduce(const StatScores& s) const override {
    const double zero = options().zero_division;
    const auto num = 2 * s.tp, denom = 2 * s.tp + s.fp + s.fn;
    if (options().average == Average::Micro) return safe_divide(num.sum(), denom.sum(), zero);
    const auto present = ((s.tp + s.fp + s.fn) > 0).to(torch::kFloat);
    return safe_divide((safe_divide(num, denom, zero) * present).sum(), present.sum());
  }

 private:
  [[noreturn]] void bad(const std::string& message) const { throw std::invalid_argument("Dice: " + message); }

  StatScoresOptions resolve(const torch::Tensor& preds, const torch::Tensor& target) {
    StatScoresOptions o = options();
    const std::string shapes = "preds " + shape(preds) + " and target " + shape(target);
    if (preds.is_floating_point() && preds.dim() >= 2 && preds.dim() == target.dim() + 1) {
      o.task = Task::Multiclass;
      o.num_classes = preds.size(1);
      if (target.dim() > 1 && !multidim_ok_) bad("multi-dimensional multi-class inputs need mdmc_average = \"global\"");
    } else if (preds.sizes() == target.sizes() && preds.is_floating_point()) {
      o.task = preds.dim() == 1 ? Task::Binary : Task::Multilabel;
      o.num_classes = preds.dim() == 1 ? 1 : preds.size(1);
      if (o.task == Task::Binary && num_classes_ && *num_classes_ != 1)
        bad("binary inputs " + shapes + " take num_classes null or 1 (multiclass = true is not supported)");
    } else if (preds.sizes() == target.sizes()) {
      if (!num_classes_) bad("integer class labels " + shapes + " need num_classes");
      o.task = Task::Multiclass;
      o.num_classes = *num_classes_;
      if (target.dim() > 1 && !multidim_ok_) bad("multi-dimensional multi-class inputs need mdmc_average = \"global\"");
    } else {
      bad(shapes + ": expected scores (N, C, ...) with target (N, ...), or preds shaped as target");
    }
    if (num_classes_ && o.task != Task::Binary && *num_classes_ != o.num_classes)
      bad(shapes + " have " + std::to_string(o.num_classes) + " classes, but num_classes = " +
          std::to_string(*num_classes_));
    if (top_k_set_ && !(o.task == Task::Multiclass && preds.is_floating_point()))
      bad("top_k applies to multiclass scores (N, C, ...) only, got " + shapes);
    if (o.ignore_index && (o.task == Task::Binary || *o.ignore_index < 0 || *o.ignore_index >= o.num_classes))
      bad("ignore_index " + std::to_string(*o.ignore_index) + " is not a class of " + shapes);
    const std::pair<Task, int64_t> kind{o.task, o.num_classes};
    if (seen_ && *seen_ != kind) bad(shapes + ": a different kind of input than the epoch's earlier batches");
    seen_ = kind;
    if (top_k_set_ && o.top_k > o.num_classes)
      bad("top_k " + std::to_string(o.top_k) + " is more than the " + std::to_string(o.num_classes) +
          " classes of " + shapes);
    o.ignore_index.reset();  // a class dropped after counting (batch_stat_scores), not a target value to skip
    return o;
  }

  std::optional<int64_t> num_classes_;
  bool multidim_ok_, top_k_set_;
  std::optional<std::pair<Task, int64_t>> seen_;
};
}  // namespace

void register_dice(Registrar& r) {
  using namespace lighter::param;
  auto nullable = [](Param p) {
    p.type = p.type | Type::Null;
    if (!p.default_value) p.default_value = Value();
    return p;
  };
  auto params = extra_params(kZeroDivision);
  params.push_back(nullable(integer("num_classes", std::nullopt, "number of classes (needed for macro)")));
  for (auto& p : extra_params(kThreshold)) params.push_back(p);
  params.push_back(nullable(choice("average", {"micro", "macro", "samples", "none"}, "micro",
                                   "micro: over all counts; macro: mean over the classes that occur")));
  params.push_back(nullable(choice("mdmc_average", {"global", "samplewise"}, "global",
                                   "global: extra dimensions of (N, C, ...) inputs count as more samples")));
  params.push_back(nullable(integer("ignore_index", std::nullopt, "a class whose counts are left out")));
  Param top_k =
      nullable(integer("top_k", std::nullopt, "multiclass scores: a hit when the target is among the k best"));
  top_k.check = [](const Value& v) { return v.is_null() || (v.is_int() && v.as_int() >= 1) ? "" : "an integer >= 1"; };
  params.push_back(top_k);
  Param multiclass = nullable(boolean("multiclass", false, "only null is supported"));
  multiclass.default_value = Value();
  params.push_back(multiclass);
  add_metric(r, "classification", "Dice", "2 tp / (2 tp + fp + fn), exact over the epoch", params, [](const Args& a) {
    const auto average = a.get_optional<std::string>("average").value_or("none");
    if (average == "none")
      a.fail("average", "Dice takes micro or macro, as torchmetrics (which rejects none); per-class Dice values: "
                        "MulticlassF1Score with average = \"none\"");
    if (average == "samples") a.fail("average", "\"samples\" is not supported; use micro or macro");
    const auto mdmc = a.get_optional<std::string>("mdmc_average");
    if (mdmc == std::optional<std::string>("samplewise"))
      a.fail("mdmc_average", "\"samplewise\" is not supported; use global");
    StatScoresOptions o;
    o.average = average == "micro" ? Average::Micro : Average::Macro;
    o.zero_division = a.get<double>("zero_division");
    o.threshold = a.get<double>("threshold");
    if (o.threshold < 0 || o.threshold > 1) a.fail("threshold", "expected a number in [0, 1]");
    const auto num_classes = a.get_optional<int64_t>("num_classes");
    if (num_classes && *num_classes < 1) a.fail("num_classes", "expected an integer >= 1");
    if (o.average == Average::Macro && !num_classes) a.fail("num_classes", "required when average = \"macro\"");
    o.ignore_index = a.get_optional<int64_t>("ignore_index");
    if (o.ignore_index && num_classes && (*o.ignore_index >= *num_classes || *num_classes == 1 || *o.ignore_index < 0))
      a.fail("ignore_index", "expected a class index below num_classes (" + std::to_string(*num_classes) + ")");
    if (a.get_optional<bool>("multiclass")) a.fail("multiclass", "only null is supported");
    const auto top_k = a.get_optional<int64_t>("top_k");
    o.top_k = top_k.value_or(1);
    return std::make_shared<Dice>(o, num_classes, mdmc.has_value(), top_k.has_value());
  }, true);
}

}  // namespace lighter::torchmetrics
