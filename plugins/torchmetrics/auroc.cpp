// torchmetrics.AUROC and its task classes (BinaryAUROC, ...) with thresholds=None: the epoch's
// scores and targets are kept and the ROC curve is computed exactly by sorting (ties share one
// threshold, as sklearn and torchmetrics).
#include "registrations.hpp"
#include "stat_scores.hpp"

#include <limits>
#include <stdexcept>

namespace lighter::torchmetrics {

namespace {
torch::Tensor nan_tensor(torch::IntArrayRef sizes, const torch::Device& device) {
  return torch::full(sizes, std::numeric_limits<float>::quiet_NaN(), torch::TensorOptions().device(device));
}

// torchmetrics' _binary_clf_curve + _binary_roc_compute + trapezoid. A curve without negatives
// (or positives) has fpr (or tpr) 0 everywhere, so its area is 0; no sample at all gives NaN.
torch::Tensor binary_auroc(const torch::Tensor& scores, const torch::Tensor& positive) {
  const int64_t n = scores.numel();
  if (n == 0) return nan_tensor({}, scores.device());
  auto order = scores.argsort(0, /*descending=*/true);
  auto sorted = scores.index_select(0, order).to(torch::kDouble);
  auto hits = positive.index_select(0, order).to(torch::kDouble);
  auto last_of_tie = torch::nonzero(sorted.slice(0, 1) != sorted.slice(0, 0, n - 1)).flatten();
  auto idx = torch::cat({last_of_tie, torch::full({1}, n - 1, last_of_tie.options())});
  auto zero = torch::zeros({1}, hits.options());
  auto tps = torch::cat({zero, hits.cumsum(0).index_select(0, idx)});
  auto fps = torch::cat({zero, (idx + 1).to(torch::kDouble) - tps.slice(0, 1)});
  auto rate = [](const torch::Tensor& c) { return c[-1].item<double>() > 0 ? c / c[-1] : torch::zeros_like(c); };
  return torch::trapz(rate(tps), rate(fps)).to(torch::kFloat);
}

// torchmetrics' _reduce_auroc: NaN scores (classes without samples) are left out of the mean.
torch::Tensor reduce(const torch::Tensor& scores, const torch::Tensor& support, Average average) {
  if (average == Average::None) return scores;
  auto known = ~scores.isnan();
  if (!known.any().item<bool>()) return nan_tensor({}, scores.device());
  if (average == Average::Macro) return scores.masked_select(known).mean();
  auto weights = support.to(torch::kFloat).masked_select(known);
  return (scores.masked_select(known) * safe_divide(weights, weights.sum())).sum();
}

void check_scores(const std::string& name, const torch::Tensor& preds, const torch::Tensor& target, bool same_shape) {
  if (!preds.is_floating_point())
    throw std::invalid_argument(name + ": preds must be floating point scores, got " +
                                std::string(c10::toString(preds.scalar_type())));
  if (same_shape && preds.sizes() != target.sizes())
    throw std::invalid_argument(name + ": preds " + shape(preds) + " and target " + shape(target) +
                                " must have the same shape");
}

bool probabilities(const torch::Tensor& p) { return !p.numel() || ((p >= 0) & (p <= 1)).all().item<bool>(); }

class AUROC : public Metric {
 public:
  AUROC(std::string name, StatScoresOptions options) : name_(std::move(name)), o_(std::move(options)) {}

  void update(const torch::Tensor& preds, const torch::Tensor& target) override {
    auto batch = format(preds, target);
    preds_.push_back(batch.first);
    target_.push_back(batch.second);
  }
  std::vector<std::pair<std::string, torch::Tensor>> forward(const torch::Tensor& preds,
                                                             const torch::Tensor& target) override {
    auto batch = format(preds, target);
    preds_.push_back(batch.first);
    target_.push_back(batch.second);
    return {{name_, value(batch.first, batch.second)}};
  }
  std::vector<std::pair<std::string, torch::Tensor>> compute() override {
    torch::NoGradGuard no_grad;
    torch::Tensor p, t;
    if (preds_.empty()) {
      p = o_.task == Task::Binary ? torch::zeros({0}) : torch::zeros({0, o_.num_classes});
      t = (o_.task == Task::Multilabel ? torch::zeros({0, o_.num_classes}) : torch::zeros({0})).to(torch::kLong);
    } else {
      p = torch::cat(preds_), t = torch::cat(target_);
    }
    // As torchmetrics' sync on compute: the samples of every rank.
    return {{name_, value(dist::all_gather_cat(p), dist::all_gather_cat(t))}};
  }
  void reset() override {
    preds_.clear();
    target_.clear();
  }

 private:
  // Binary: (M,) probabilities and labels, ignored samples dropped. Multiclass: (M, C)
  // probabilities (softmax of logits) and (M,) labels, ignored dropped. Multilabel: (M, L) both,
  // ignore_index kept (dropped per label at compute).
  std::pair<torch::Tensor, torch::Tensor> format(const torch::Tensor& preds, const torch::Tensor& target) const {
    torch::NoGradGuard no_grad;
    auto p = preds.detach(), t = target.detach();
    if (o_.task == Task::Multiclass) {
      check_scores(name_, p, t, false);
      auto expected = t.sizes().vec();
      expected.insert(expected.begin() + std::min<int64_t>(1, t.dim()), o_.num_classes);
      if (p.sizes().vec() != expected)
        throw std::invalid_argument(name_ + ": preds " + shape(p) + " must be (N, num_classes=" +
                                    std::to_string(o_.num_classes) + ", ...) for target " + shape(t));
      p = rows(p);
      if (!probabilities(p)) p = p.softmax(1);
    } else {
      check_scores(name_, p, t, true);
      if (o_.task == Task::Multilabel && (t.dim() < 2 || t.size(1) != o_.num_classes))
        throw std::invalid_argument(name_ + ": preds and target " + shape(t) +
                                    " must be (N, num_labels=" + std::to_string(o_.num_classes) + ", ...)");
      if (!probabilities(p)) p = p.sigmoid();
      if (o_.task == Task::Multilabel) p = rows(p), t = rows(t);
    }
    check_labels(t, o_.task == Task::Multiclass ? o_.num_classes : 2, o_, name_, "target");
    t = t.to(torch::kLong);
    if (o_.task == Task::Multilabel) return {p, t};
    if (o_.task == Task::Binary) p = p.reshape({-1});
    t = t.reshape({-1});
    if (!o_.ignore_index) return {p, t};
    auto keep = t != *o_.ignore_index;
    return {p.index({keep}), t.index({keep})};
  }

  torch::Tensor value(const torch::Tensor& p, const torch::Tensor& t) const {
    if (o_.task == Task::Binary) return binary_auroc(p, t == 1);
    if (o_.task == Task::Multilabel && o_.average == Average::Micro) return micro(p, t);
    const int64_t classes = o_.num_classes;
    std::vector<torch::Tensor> scores;
    for (int64_t c = 0; c < classes; ++c) scores.push_back(per_class(p, t, c));
    auto support = o_.task == Task::Multiclass ? torch::bincount(t, {}, classes) : (t == 1).sum(0);
    return reduce(torch::stack(scores), support, o_.average);
  }

  torch::Tensor per_class(const torch::Tensor& p, const torch::Tensor& t, int64_t c) const {
    if (o_.task == Task::Multiclass) return binary_auroc(p.select(1, c).contiguous(), t == c);
    auto scores = p.select(1, c), labels = t.select(1, c);
    if (o_.ignore_index) {
      auto keep = labels != *o_.ignore_index;
      scores = scores.index({keep}), labels = labels.index({keep});
    }
    return binary_auroc(scores.contiguous(), labels == 1);
  }

  torch::Tensor micro(const torch::Tensor& p, const torch::Tensor& t) const {
    auto scores = p.flatten(), labels = t.flatten();
    if (o_.ignore_index) {
      auto keep = labels != *o_.ignore_index;
      scores = scores.index({keep}), labels = labels.index({keep});
    }
    return binary_auroc(scores, labels == 1);
  }

  std::string name_;
  StatScoresOptions o_;
  std::vector<torch::Tensor> preds_, target_;
};

Param thresholds_param() { return param::any("thresholds", Value(), "only null: the exact, sort-based curve"); }

Param max_fpr_param() {
  Param max_fpr = param::real("max_fpr", std::nullopt, "not supported: only null (the full curve)");
  max_fpr.type = Type::Float | Type::Null;
  max_fpr.default_value = Value();
  return max_fpr;
}

std::shared_ptr<Metric> make(std::string name, StatScoresOptions o, const Args& a, bool takes_max_fpr) {
  if (o.task == Task::Multiclass && o.average == Average::Micro)
    a.fail("average", "multiclass AUROC takes macro, weighted or none (micro is for multilabel)");
  if (takes_max_fpr && a.get_optional<double>("max_fpr")) a.fail("max_fpr", "not supported yet; leave it null");
  if (!a.get<Value>("thresholds").is_null()) a.fail("thresholds", "only null (exact AUROC) is supported");
  return std::make_shared<AUROC>(std::move(name), o);
}
}  // namespace

void register_auroc(Registrar& r) {
  const std::string doc = "area under the ROC curve, exact over the epoch";
  auto params = task_params("macro");
  params.push_back(max_fpr_param());
  params.push_back(thresholds_param());
  add_metric(r, "classification", "AUROC", doc, params,
             [](const Args& a) { return make("AUROC", task_options(a), a, true); }, true);
  for (Task task : {Task::Binary, Task::Multiclass, Task::Multilabel}) {
    auto class_params = task_class_params(task, 0);
    class_params.insert(class_params.end() - 2, thresholds_param());  // before ignore_index, validate_args
    if (task == Task::Binary) class_params.insert(class_params.begin(), max_fpr_param());
    const std::string name = task_prefix(task) + "AUROC";
    add_metric(r, "classification", name, doc, class_params, [task, name](const Args& a) {
      return make(name, task_class_options(task, a, 0), a, task == Task::Binary);
    }, false);
  }
}

}  // namespace lighter::torchmetrics
