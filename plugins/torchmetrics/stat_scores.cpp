#include "stat_scores.hpp"

#include <limits>
#include <stdexcept>

namespace lighter::torchmetrics {

namespace {
[[noreturn]] void bad(const std::string& metric, const std::string& message) {
  throw std::invalid_argument(metric + ": " + message);
}
}  // namespace

std::string shape(const torch::Tensor& t) {
  std::string out = "(";
  for (int64_t i = 0; i < t.dim(); ++i) out += (i ? ", " : "") + std::to_string(t.size(i));
  return out + (t.dim() == 1 ? ",)" : ")");
}

// Targets must be integers in [0, classes) or the ignore_index.
void check_labels(const torch::Tensor& t, int64_t classes, const StatScoresOptions& o, const std::string& metric,
                  const char* what) {
  if (t.is_floating_point() || t.is_complex()) bad(metric, std::string(what) + " must hold integer labels");
  auto valid = (t >= 0) & (t < classes);
  if (o.ignore_index) valid |= t == *o.ignore_index;
  if (t.numel() && !valid.all().item<bool>())
    bad(metric, std::string(what) + " holds values outside [0, " + std::to_string(classes) + ")" +
                    (o.ignore_index ? " other than ignore_index " + std::to_string(*o.ignore_index) : ""));
}

// (N, C, ...) -> (N * ..., C): classes last, one row per sample (and extra position).
torch::Tensor rows(const torch::Tensor& t) { return t.movedim(1, -1).reshape({-1, t.size(1)}); }

namespace {
// Probabilities or logits (sigmoid when any value is outside [0, 1]) compared to the threshold.
torch::Tensor binarize(const torch::Tensor& preds, const StatScoresOptions& o, const std::string& metric) {
  if (!preds.is_floating_point()) {
    check_labels(preds, 2, StatScoresOptions{}, metric, "integer preds");
    return preds.to(torch::kBool);
  }
  auto probs = preds;
  if (preds.numel() && !((preds >= 0) & (preds <= 1)).all().item<bool>()) probs = preds.sigmoid();
  return probs > o.threshold;
}

StatScores count(const torch::Tensor& predicted, const torch::Tensor& actual, const torch::Tensor& valid) {
  auto sum = [&](const torch::Tensor& hit) { return (hit & valid).sum(0).to(torch::kLong); };
  return {sum(predicted & actual), sum(predicted & ~actual), sum(~predicted & ~actual), sum(~predicted & actual)};
}

StatScores binary(const StatScoresOptions& o, const torch::Tensor& preds, const torch::Tensor& target,
                  const std::string& metric) {
  if (preds.sizes() != target.sizes())
    bad(metric, "preds " + shape(preds) + " and target " + shape(target) + " must have the same shape");
  check_labels(target, 2, o, metric, "target");
  auto valid = o.ignore_index ? target.reshape({-1, 1}) != *o.ignore_index
                              : torch::ones({target.numel(), 1}, target.options().dtype(torch::kBool));
  return count(binarize(preds, o, metric).reshape({-1, 1}), (target == 1).reshape({-1, 1}), valid);
}

StatScores multiclass(const StatScoresOptions& o, const torch::Tensor& preds, const torch::Tensor& target,
                      const std::string& metric) {
  const int64_t classes = o.num_classes;
  check_labels(target, classes, o, metric, "target");
  torch::Tensor predicted;  // (M, C) bool
  if (preds.is_floating_point()) {
    auto expected = target.sizes().vec();
    expected.insert(expected.begin() + std::min<int64_t>(1, target.dim()), classes);
    if (preds.sizes().vec() != expected)
      bad(metric, "float preds " + shape(preds) + " must be (N, num_classes=" + std::to_string(classes) +
                      ", ...) for target " + shape(target));
    auto scores = rows(preds);
    predicted = torch::zeros_like(scores, scores.options().dtype(torch::kBool))
                    .scatter_(1, std::get<1>(scores.topk(o.top_k, 1)), true);
  } else {
    if (o.top_k > 1) bad(metric, "top_k > 1 needs preds with a score per class, got class indices");
    if (preds.sizes() != target.sizes())
      bad(metric, "preds " + shape(preds) + " and target " + shape(target) + " must have the same shape");
    check_labels(preds, classes, StatScoresOptions{}, metric, "preds");
    predicted = torch::one_hot(preds.reshape({-1}).to(torch::kLong), classes).to(torch::kBool);
  }
  auto labels = target.reshape({-1}).to(torch::kLong);
  auto valid = (labels >= 0) & (labels < classes);
  if (o.ignore_index) valid &= labels != *o.ignore_index;  // ignore_index may also be a class
  auto actual = torch::one_hot(labels.clamp(0, classes - 1), classes).to(torch::kBool) & valid.unsqueeze(1);
  return count(predicted, actual, valid.unsqueeze(1));
}

StatScores multilabel(const StatScoresOptions& o, const torch::Tensor& preds, const torch::Tensor& target,
                      const std::string& metric) {
  if (preds.sizes() != target.sizes() || target.dim() < 2 || target.size(1) != o.num_classes)
    bad(metric, "preds " + shape(preds) + " and target " + shape(target) + " must both be (N, num_labels=" +
                    std::to_string(o.num_classes) + ", ...)");
  check_labels(target, 2, o, metric, "target");
  auto labels = rows(target);
  auto valid = o.ignore_index ? labels != *o.ignore_index : torch::ones_like(labels, labels.options().dtype(torch::kBool));
  return count(rows(binarize(preds, o, metric)), labels == 1, valid);
}
}  // namespace

void StatScores::add(const StatScores& batch) {
  if (!defined()) {
    *this = batch;
    return;
  }
  tp = tp + batch.tp;
  fp = fp + batch.fp;
  tn = tn + batch.tn;
  fn = fn + batch.fn;
}


StatScores stat_scores(const StatScoresOptions& options, const torch::Tensor& preds, const torch::Tensor& target,
                       const std::string& metric) {
  torch::NoGradGuard no_grad;
  const auto p = preds.detach(), t = target.detach();
  switch (options.task) {
    case Task::Binary: return binary(options, p, t, metric);
    case Task::Multiclass: return multiclass(options, p, t, metric);
    case Task::Multilabel: return multilabel(options, p, t, metric);
  }
  throw std::logic_error("unknown task");
}

torch::Tensor safe_divide(const torch::Tensor& num, const torch::Tensor& denom, double zero_division) {
  auto n = num.is_floating_point() ? num : num.to(torch::kFloat);
  auto d = denom.is_floating_point() ? denom : denom.to(torch::kFloat);
  return torch::where(d != 0, n / d, torch::full_like(n, zero_division));
}

torch::Tensor average_scores(const torch::Tensor& scores, const StatScoresOptions& o, const StatScores& s) {
  if (o.average == Average::None) return scores;
  torch::Tensor weights;
  if (o.average == Average::Weighted) {
    weights = (s.tp + s.fn).to(torch::kFloat);
  } else {
    weights = torch::ones_like(scores);
    if (o.task != Task::Multilabel) {
      auto absent = o.top_k == 1 ? (s.tp + s.fp + s.fn) == 0 : (s.tp + s.fn) == 0;
      weights = weights.masked_fill(absent, 0.0);
    }
  }
  return safe_divide(weights * scores, weights.sum(-1, true)).sum(-1);
}

StatScores StatScoresMetric::batch_stat_scores(const torch::Tensor& preds, const torch::Tensor& target) {
  return stat_scores(options_, preds, target, name());
}

void StatScoresMetric::update(const torch::Tensor& preds, const torch::Tensor& target) {
  state_.add(batch_stat_scores(preds, target));
}

std::vector<std::pair<std::string, torch::Tensor>> StatScoresMetric::forward(const torch::Tensor& preds,
                                                                           const torch::Tensor& target) {
  auto batch = batch_stat_scores(preds, target);
  state_.add(batch);
  return {{name(), value_of(batch)}};
}

std::vector<std::pair<std::string, torch::Tensor>> StatScoresMetric::compute() {
  if (dist::world_size() == 1 || !state_.defined()) return {{name(), value_of(state_)}};
  // torchmetrics' sync on compute: the counts of every rank (each rank sees the same number of
  // batches, so every rank has counts here).
  StatScores all{state_.tp.clone(), state_.fp.clone(), state_.tn.clone(), state_.fn.clone()};
  for (auto* counts : {&all.tp, &all.fp, &all.tn, &all.fn}) dist::all_reduce(*counts);
  return {{name(), value_of(all)}};
}

torch::Tensor StatScoresMetric::value_of(const StatScores& s) const {
  torch::NoGradGuard no_grad;
  const auto nan = std::numeric_limits<float>::quiet_NaN();
  if (!s.defined()) {
    if (options_.average == Average::None && options_.task != Task::Binary) return torch::full({options_.num_classes}, nan);
    return torch::scalar_tensor(nan);
  }
  // No sample counted: NaN. Chosen on the device, so a step's value does not wait for a GPU.
  const torch::Tensor value = reduce(s);
  const torch::Tensor counted = (s.tp + s.fp + s.tn + s.fn).sum() > 0;
  return torch::where(counted, value, torch::full_like(value, nan));
}

std::vector<Param> extra_params(unsigned extras) {
  using namespace lighter::param;
  std::vector<Param> out;
  if (extras & kThreshold)
    out.push_back(real("threshold", 0.5, "binary/multilabel: probabilities above it count as positive"));
  if (extras & kTopK) {
    Param top_k = integer("top_k", 1, "multiclass: a hit when the target is among the k highest scores");
    top_k.check = [](const Value& v) { return v.is_int() && v.as_int() >= 1 ? "" : "an integer >= 1"; };
    out.push_back(top_k);
  }
  if (extras & kMultidimAverage)
    out.push_back(choice("multidim_average", {"global", "samplewise"}, "global",
                         "global: extra dimensions count as more samples (samplewise is not supported)"));
  if (extras & kZeroDivision) {
    Param zero = real("zero_division", 0.0, "the score where its denominator is 0: 0 or 1");
    zero.check = [](const Value& v) {
      return v.is_number() && (v.as_number() == 0 || v.as_number() == 1) ? "" : "0 or 1";
    };
    out.push_back(zero);
  }
  return out;
}

namespace {
Param optional_int(std::string name, std::string doc) {
  Param p = param::integer(std::move(name), std::nullopt, std::move(doc));
  p.type = Type::Int | Type::Null;
  p.default_value = Value();
  return p;
}

const char* classes_key(Task task) { return task == Task::Multiclass ? "num_classes" : "num_labels"; }

Param classes_param(Task task) {
  if (task == Task::Multiclass) return optional_int("num_classes", "number of classes (multiclass)");
  return optional_int("num_labels", "number of labels (multilabel)");
}

Param average_param(const std::string& default_average) {
  Param average = param::choice("average", {"micro", "macro", "weighted", "none"}, default_average,
                                "how per-class scores combine (none: one value per class)");
  average.type = Type::String | Type::Null;  // Python's None is "none"
  return average;
}

std::vector<Param> common_tail(unsigned extras) {
  auto out = extra_params(extras);
  out.push_back(optional_int("ignore_index", "target value left out of the counts"));
  out.push_back(param::boolean("validate_args", true, "accepted for compatibility: inputs are always checked"));
  return out;
}

// Reads the options every parameter set shares once task and classes are known.
void read_common(const Args& a, unsigned extras, bool has_average, StatScoresOptions& o) {
  o.ignore_index = a.get_optional<int64_t>("ignore_index");
  if (has_average) {
    const auto average = a.get_optional<std::string>("average").value_or("none");
    o.average = average == "micro"      ? Average::Micro
                : average == "macro"    ? Average::Macro
                : average == "weighted" ? Average::Weighted
                                        : Average::None;
  }
  if (extras & kThreshold) {
    o.threshold = a.get<double>("threshold");
    if (o.threshold < 0 || o.threshold > 1) a.fail("threshold", "expected a number in [0, 1]");
  }
  if (extras & kTopK) {
    o.top_k = a.get<int64_t>("top_k");
    if (o.task == Task::Multiclass && o.top_k > o.num_classes)
      a.fail("top_k", "expected at most num_classes (" + std::to_string(o.num_classes) + ")");
  }
  if ((extras & kMultidimAverage) && a.get<std::string>("multidim_average") != "global")
    a.fail("multidim_average", "only \"global\" is supported (samplewise, one value per sample, is not)");
  if (extras & kZeroDivision) o.zero_division = a.get<double>("zero_division");
}

// A task class takes threshold only for binary / multilabel and top_k only for multiclass.
unsigned task_extras(Task task, unsigned extras) {
  if (task == Task::Multiclass) return extras & ~kThreshold;
  return extras & ~kTopK;
}

int64_t read_classes(const Args& a, Task task, const std::string& why) {
  const char* key = classes_key(task);
  auto n = a.get_optional<int64_t>(key);
  if (!n) a.fail(key, "required" + why);
  if (*n < (task == Task::Multiclass ? 2 : 1))
    a.fail(key, "expected an integer >= " + std::string(task == Task::Multiclass ? "2" : "1"));
  return *n;
}
}  // namespace

std::string task_prefix(Task task) {
  return task == Task::Binary ? "Binary" : task == Task::Multiclass ? "Multiclass" : "Multilabel";
}

std::vector<Param> task_params(const std::string& default_average, unsigned extras) {
  std::vector<Param> params = {
      param::choice("task", {"binary", "multiclass", "multilabel"}, std::nullopt, "classification task"),
      classes_param(Task::Multiclass), classes_param(Task::Multilabel), average_param(default_average)};
  for (auto& p : common_tail(extras)) params.push_back(std::move(p));
  return params;
}

std::vector<Param> stat_scores_params(const std::string& default_average, unsigned extras) {
  return task_params(default_average, kStatScores | extras);
}

StatScoresOptions task_options(const Args& a, unsigned extras) {
  StatScoresOptions o;
  const auto task = a.get<std::string>("task");
  o.task = task == "binary" ? Task::Binary : task == "multiclass" ? Task::Multiclass : Task::Multilabel;
  o.num_classes = o.task == Task::Binary ? 1 : read_classes(a, o.task, " when task = \"" + task + "\"");
  read_common(a, extras, true, o);
  return o;
}

StatScoresOptions stat_scores_options(const Args& a, unsigned extras) { return task_options(a, kStatScores | extras); }

std::vector<Param> task_class_params(Task task, unsigned extras, const std::string& default_average) {
  std::vector<Param> params;
  if (task != Task::Binary) {
    params.push_back(param::integer(classes_key(task), std::nullopt, classes_param(task).doc));
    params.back().check = [task](const Value& v) {
      return v.is_int() && v.as_int() >= (task == Task::Multiclass ? 2 : 1)
                 ? ""
                 : (task == Task::Multiclass ? "an integer >= 2" : "an integer >= 1");
    };
  }
  const unsigned own = task_extras(task, extras);
  auto tail = common_tail(own);
  // torchmetrics' order: classes, threshold / top_k, average, multidim_average, ignore_index, ...
  auto after_first_extra = tail.begin() + ((own & (kThreshold | kTopK)) ? 1 : 0);
  if (task != Task::Binary) tail.insert(after_first_extra, average_param(default_average));
  params.insert(params.end(), tail.begin(), tail.end());
  return params;
}

StatScoresOptions task_class_options(Task task, const Args& a, unsigned extras) {
  StatScoresOptions o;
  o.task = task;
  o.num_classes = task == Task::Binary ? 1 : read_classes(a, task, "");
  read_common(a, task_extras(task, extras), task != Task::Binary, o);
  return o;
}

}  // namespace lighter::torchmetrics
