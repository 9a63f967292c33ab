// torchmetrics' Precision, Recall, F1Score and AUROC: hand-computed values, epoch exactness, and
// (when /usr/bin/python3 has torch) random cases against reference formulas written out in Python.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/sdk.hpp>

#include <cmath>
#include <optional>

#include "support/python_reference.hpp"

using lighter::Metric;
using lighter::ParamError;
using lighter::Value;


namespace {
std::shared_ptr<Metric> metric(const std::string& name, Value::Table values) {
  return lighter::test::plugin(LIGHTER_PLUGIN_TORCHMETRICS).make<Metric>("torchmetrics." + name, std::move(values));
}

torch::Tensor labels(std::vector<int64_t> values) { return torch::tensor(values, torch::kLong); }

// Five samples, three classes: argmax picks 0, 1, 2, 0, 1; top-2 sets {0,1} {1,2} {2,0} {0,1} {1,2}.
torch::Tensor logits() {
  return torch::tensor({{2.0, 1.0, 0.0}, {0.0, 3.0, 1.0}, {1.0, 0.0, 4.0}, {3.0, 2.0, 1.0}, {0.0, 1.0, 0.5}});
}

torch::Tensor evaluate(const std::string& name, Value::Table options, const torch::Tensor& preds,
                       const torch::Tensor& target) {
  auto m = metric(name, std::move(options));
  m->update(preds, target);
  auto named = m->compute();
  REQUIRE(named.size() == 1);
  CHECK(named[0].first == name);
  return named[0].second;
}

double scalar(const torch::Tensor& t) {
  REQUIRE(t.dim() == 0);
  return t.item<double>();
}

// Multiclass, three classes, on logits() and target 0 1 1 2 1. Counts (tp, fp, fn) per class:
// 0: (1, 1, 0); 1: (2, 0, 1); 2: (0, 1, 1).
double three(const std::string& name, Value::Table options, const torch::Tensor& target = labels({0, 1, 1, 2, 1})) {
  options.emplace_back("task", "multiclass");
  options.emplace_back("num_classes", 3);
  return scalar(evaluate(name, std::move(options), logits(), target));
}

void check_values(const torch::Tensor& actual, std::vector<double> expected) {
  REQUIRE(actual.sizes() == torch::IntArrayRef{static_cast<int64_t>(expected.size())});
  for (size_t i = 0; i < expected.size(); ++i) CHECK(actual[i].item<double>() == Approx(expected[i]));
}
}  // namespace

TEST_CASE("multiclass precision, recall and F1: macro, micro (default), weighted, none", "[plugin][torchmetrics]") {
  // As torchmetrics' task wrappers (Precision(task="multiclass")): micro unless told.
  CHECK(three("Precision", {}) == Approx(3.0 / 5));
  CHECK(three("F1Score", {}) == Approx(3.0 / 5));
  CHECK(three("Precision", {{"average", "macro"}}) == Approx((0.5 + 1.0 + 0.0) / 3));
  CHECK(three("Precision", {{"average", "micro"}}) == Approx(3.0 / 5));
  CHECK(three("Precision", {{"average", "weighted"}}) == Approx((1 * 0.5 + 3 * 1.0 + 1 * 0.0) / 5));
  CHECK(three("Recall", {{"average", "macro"}}) == Approx((1.0 + 2.0 / 3 + 0.0) / 3));
  CHECK(three("Recall", {{"average", "micro"}}) == Approx(3.0 / 5));
  CHECK(three("Recall", {{"average", "weighted"}}) == Approx(3.0 / 5));
  CHECK(three("F1Score", {{"average", "macro"}}) == Approx((2.0 / 3 + 0.8 + 0.0) / 3));
  CHECK(three("F1Score", {{"average", "micro"}}) == Approx(3.0 / 5));
  CHECK(three("F1Score", {{"average", "weighted"}}) == Approx((2.0 / 3 + 3 * 0.8) / 5));
  auto target = labels({0, 1, 1, 2, 1});
  Value::Table none = {{"task", "multiclass"}, {"num_classes", 3}, {"average", "none"}};
  check_values(evaluate("Precision", none, logits(), target), {0.5, 1.0, 0.0});
  check_values(evaluate("Recall", none, logits(), target), {1.0, 2.0 / 3, 0.0});
  check_values(evaluate("F1Score", none, logits(), target), {2.0 / 3, 0.8, 0.0});
  // Class indices give the same counts as scores.
  Value::Table macro = {{"task", "multiclass"}, {"num_classes", 3}, {"average", "macro"}};
  CHECK(scalar(evaluate("F1Score", macro, labels({0, 1, 2, 0, 1}), target)) == Approx((2.0 / 3 + 0.8) / 3));
}

TEST_CASE("precision and recall with top_k count every class among the k best", "[plugin][torchmetrics]") {
  // Top-2 counts (tp, fp, fn): 0: (1, 2, 0); 1: (2, 2, 1); 2: (0, 3, 1).
  CHECK(three("Precision", {{"top_k", 2}, {"average", "micro"}}) == Approx(3.0 / 10));
  CHECK(three("Recall", {{"top_k", 2}, {"average", "micro"}}) == Approx(3.0 / 5));
  CHECK(three("Precision", {{"top_k", 2}, {"average", "macro"}}) == Approx((1.0 / 3 + 0.5 + 0.0) / 3));
  CHECK(three("Recall", {{"top_k", 3}, {"average", "micro"}}) == Approx(1.0));
}

TEST_CASE("binary precision, recall and F1 ignore average", "[plugin][torchmetrics]") {
  const auto probs = torch::tensor({0.9, 0.2, 0.6, 0.4, 0.7});  // -> 1 0 1 0 1
  const auto target = labels({1, 0, 0, 0, 1});                   // tp 2, fp 1, fn 0
  for (const char* average : {"macro", "micro", "none"}) {
    Value::Table options = {{"task", "binary"}, {"average", average}};
    CHECK(scalar(evaluate("Precision", options, probs, target)) == Approx(2.0 / 3));
    CHECK(scalar(evaluate("Recall", options, probs, target)) == Approx(1.0));
    CHECK(scalar(evaluate("F1Score", options, probs, target)) == Approx(0.8));
  }
  CHECK(scalar(evaluate("Precision", {{"task", "binary"}, {"threshold", 0.65}}, probs, target)) == Approx(1.0));
  // No positive prediction: 0 / 0 is 0, as torchmetrics' _safe_divide.
  CHECK(scalar(evaluate("Precision", {{"task", "binary"}}, torch::zeros({3}), labels({1, 0, 1}))) == 0.0);
}

TEST_CASE("multilabel precision, recall and F1 per label, with ignore_index", "[plugin][torchmetrics]") {
  const auto preds = torch::tensor({{0.9, 0.1}, {0.6, 0.8}, {0.2, 0.3}, {0.7, 0.9}});  // -> 10 11 00 11
  const auto target = labels({1, 0, 1, -1, 0, 1, 0, -1}).reshape({4, 2});
  auto multilabel = [&](const std::string& name, const char* average) {
    Value::Table o = {{"task", "multilabel"}, {"num_labels", 2}, {"ignore_index", -1}, {"average", average}};
    return evaluate(name, o, preds, target);
  };
  // Label 0: tp 2, fp 1, fn 0. Label 1 (two ignored): tp 0, fp 0, fn 1.
  check_values(multilabel("Precision", "none"), {2.0 / 3, 0.0});
  CHECK(scalar(multilabel("Precision", "macro")) == Approx(1.0 / 3));
  CHECK(scalar(multilabel("Precision", "micro")) == Approx(2.0 / 3));
  CHECK(scalar(multilabel("Recall", "macro")) == Approx(0.5));
  CHECK(scalar(multilabel("Recall", "micro")) == Approx(2.0 / 3));
  CHECK(scalar(multilabel("F1Score", "macro")) == Approx(0.4));
  CHECK(scalar(multilabel("F1Score", "weighted")) == Approx(2 * 0.8 / 3));
}

TEST_CASE("multiclass ignore_index leaves samples out", "[plugin][torchmetrics]") {
  // Sample 2 ignored: counts 0: (1, 1, 0); 1: (2, 0, 0); 2: (0, 0, 1).
  CHECK(three("Precision", {{"ignore_index", -1}, {"average", "macro"}}, labels({0, 1, -1, 2, 1})) == Approx(0.5));
  CHECK(three("Recall", {{"ignore_index", -1}, {"average", "micro"}}, labels({0, 1, -1, 2, 1})) == Approx(3.0 / 4));
}

TEST_CASE("precision is exact over the epoch, not a mean of batches", "[plugin][torchmetrics]") {
  Value::Table options = {{"task", "multiclass"}, {"num_classes", 3}, {"average", "macro"}};
  auto epoch = metric("Precision", options);
  // Batch 1: class 2 absent, macro 1. Batch 2: per class 0, 0, 1/3.
  CHECK(scalar(epoch->forward(labels({0, 1}), labels({0, 1})).at(0).second) == Approx(1.0));
  CHECK(scalar(epoch->forward(labels({2, 2, 2, 0}), labels({2, 0, 1, 1})).at(0).second) == Approx(1.0 / 9));
  const double value = scalar(epoch->compute().at(0).second);
  CHECK(value == Approx((0.5 + 1.0 + 1.0 / 3) / 3));
  const auto all = evaluate("Precision", options, labels({0, 1, 2, 2, 2, 0}), labels({0, 1, 2, 0, 1, 1}));
  CHECK(value == Approx(scalar(all)));
  epoch->reset();
  CHECK(std::isnan(scalar(epoch->compute().at(0).second)));
  options.back() = {"average", "none"};
  auto none = metric("Recall", options)->compute().at(0).second;
  CHECK(none.size(0) == 3);
  CHECK(none.isnan().all().item<bool>());
}

TEST_CASE("classification metrics reject bad options and inputs", "[plugin][torchmetrics]") {
  CHECK_THROWS_AS(metric("Precision", {{"task", "multiclass"}}), ParamError);
  CHECK_THROWS_AS(metric("F1Score", {{"task", "multilabel"}}), ParamError);
  CHECK_THROWS_AS(metric("Recall", {{"task", "multiclass"}, {"num_classes", 3}, {"average", "mean"}}), ParamError);
  CHECK_THROWS_AS(metric("AUROC", {{"task", "multiclass"}, {"num_classes", 3}, {"average", "micro"}}), ParamError);
  CHECK_THROWS_AS(metric("AUROC", {{"task", "binary"}, {"max_fpr", 0.5}}), ParamError);
  auto binary = metric("Recall", {{"task", "binary"}});
  CHECK_THROWS_WITH(binary->update(torch::rand({4}), labels({0, 1, 1})),
                    Catch::Contains("Recall") && Catch::Contains("(4,)") && Catch::Contains("(3,)"));
  auto auroc = metric("AUROC", {{"task", "multiclass"}, {"num_classes", 3}});
  CHECK_THROWS_WITH(auroc->update(torch::rand({4, 2}), labels({0, 1, 1, 2})),
                    Catch::Contains("AUROC") && Catch::Contains("(4, 2)") && Catch::Contains("(4,)"));
  CHECK_THROWS_WITH(auroc->update(torch::rand({4, 3}), labels({0, 1, 1, 3})), Catch::Contains("target"));
  CHECK_THROWS_WITH(metric("AUROC", {{"task", "binary"}})->update(labels({0, 1}), labels({0, 1})),
                    Catch::Contains("floating"));
}

TEST_CASE("binary AUROC: sklearn's example, ties, logits, one-class targets", "[plugin][torchmetrics]") {
  auto auroc = [](const torch::Tensor& scores, const torch::Tensor& target, Value::Table o = {}) {
    o.emplace_back("task", "binary");
    return scalar(evaluate("AUROC", std::move(o), scores, target));
  };
  CHECK(auroc(torch::tensor({0.1, 0.4, 0.35, 0.8}), labels({0, 0, 1, 1})) == Approx(0.75));
  // A tied positive / negative pair counts one half: (0.5 + 1 + 1 + 1) / 4.
  CHECK(auroc(torch::tensor({0.5, 0.5, 0.2, 0.9}), labels({0, 1, 0, 1})) == Approx(0.875));
  CHECK(auroc(torch::tensor({-2.0, 0.5, 0.3, 3.0}), labels({0, 0, 1, 1})) == Approx(0.75));  // sigmoid: same order
  CHECK(auroc(torch::tensor({0.1, 0.4, 0.35, 0.8, 0.9}), labels({0, 0, 1, 1, -1}), {{"ignore_index", -1}}) ==
        Approx(0.75));
  CHECK(auroc(torch::tensor({0.1, 0.4}), labels({1, 1})) == 0.0);  // as torchmetrics: no negatives gives 0
}

TEST_CASE("multiclass AUROC one-vs-rest: macro, weighted, none", "[plugin][torchmetrics]") {
  const auto probs = torch::tensor({{0.7, 0.2, 0.1}, {0.2, 0.5, 0.3}, {0.5, 0.3, 0.2}, {0.1, 0.3, 0.6}});
  const auto target = labels({0, 1, 1, 2});
  // Class 1: positives 0.5, 0.3 against negatives 0.2, 0.3 -> (1 + 1 + 1 + 0.5) / 4.
  auto multiclass = [&](const char* average) {
    return evaluate("AUROC", {{"task", "multiclass"}, {"num_classes", 3}, {"average", average}}, probs, target);
  };
  check_values(multiclass("none"), {1.0, 0.875, 1.0});
  CHECK(scalar(multiclass("macro")) == Approx(2.875 / 3));
  CHECK(scalar(multiclass("weighted")) == Approx((1.0 + 2 * 0.875 + 1.0) / 4));
  // Logits (values outside [0, 1]) are softmaxed per row first.
  auto logits = torch::tensor({{2.0, 0.0, -1.0}, {0.0, 1.0, 0.5}, {1.0, 0.9, -3.0}, {-1.0, 0.0, 2.0}});
  CHECK(scalar(evaluate("AUROC", {{"task", "multiclass"}, {"num_classes", 3}}, logits, target)) ==
        Approx(scalar(evaluate("AUROC", {{"task", "multiclass"}, {"num_classes", 3}}, logits.softmax(1), target))));
}

TEST_CASE("multilabel AUROC per label and micro, with ignore_index", "[plugin][torchmetrics]") {
  const auto scores = torch::stack({torch::tensor({0.1, 0.4, 0.35, 0.8}), torch::tensor({0.5, 0.5, 0.2, 0.9})}, 1);
  auto multilabel = [&](const char* average, const torch::Tensor& target) {
    return evaluate("AUROC", {{"task", "multilabel"}, {"num_labels", 2}, {"average", average}, {"ignore_index", -1}},
                    scores, target);
  };
  const auto target = torch::stack({labels({0, 0, 1, 1}), labels({0, 1, 0, 1})}, 1);
  check_values(multilabel("none", target), {0.75, 0.875});
  CHECK(scalar(multilabel("macro", target)) == Approx(0.8125));
  CHECK(scalar(multilabel("weighted", target)) == Approx(0.8125));
  CHECK(scalar(multilabel("micro", target)) == Approx(13.5 / 16));  // all eight scores as one binary problem
  // Label 1's negative 0.2 ignored: positives 0.5, 0.9 against 0.5.
  const auto ignored = torch::stack({labels({0, 0, 1, 1}), labels({0, 1, -1, 1})}, 1);
  check_values(multilabel("none", ignored), {0.75, 0.75});
}

TEST_CASE("AUROC is exact over the epoch; empty epoch is NaN", "[plugin][torchmetrics]") {
  auto auroc = metric("AUROC", {{"task", "binary"}});
  CHECK(std::isnan(scalar(auroc->compute().at(0).second)));
  CHECK(scalar(auroc->forward(torch::tensor({0.1, 0.4}), labels({0, 1})).at(0).second) == Approx(1.0));
  CHECK(scalar(auroc->forward(torch::tensor({0.35, 0.8}), labels({1, 0})).at(0).second) == Approx(0.0));
  // The epoch: scores 0.1 0.4 0.35 0.8 with target 0 1 1 0 -> positives beat 0.1 only: 2 / 4.
  CHECK(scalar(auroc->compute().at(0).second) == Approx(0.5));
  auroc->reset();
  CHECK(std::isnan(scalar(auroc->compute().at(0).second)));
  auto none = metric("AUROC", {{"task", "multilabel"}, {"num_labels", 3}, {"average", "none"}})->compute();
  CHECK(none.at(0).second.isnan().sum().item<int64_t>() == 3);
}

TEST_CASE("classification metrics match reference formulas in Python", "[plugin][torchmetrics]") {
  torch::manual_seed(7);
  // Scores on a 0.1 grid, so many ties; probabilities already, so no softmax is involved.
  const auto probs = torch::randint(0, 11, {60, 4}).to(torch::kFloat) / 10;
  const auto target = torch::randint(0, 4, {60}, torch::kLong);
  // Precision etc. take class indices: torch and NumPy may break argmax ties differently.
  const auto predicted = torch::randint(0, 4, {60}, torch::kLong);
  const std::string script = "import numpy as np\n"
                             "p = np.array(" + lighter::test::py_list(probs) + ")\n"
                             "t = np.array(" + lighter::test::py_list(target) + ")\n"
                             "pred = np.array(" + lighter::test::py_list(predicted) + ")\n"
                             R"PY(
C = 4
def div(a, b): return np.where(b != 0, a / np.where(b != 0, b, 1), 0.0)
tp = np.array([((pred == c) & (t == c)).sum() for c in range(C)], float)
fp = np.array([((pred == c) & (t != c)).sum() for c in range(C)], float)
fn = np.array([((pred != c) & (t == c)).sum() for c in range(C)], float)
present = (tp + fp + fn) > 0
support = tp + fn
def macro(s): return s[present].mean()
def weighted(s): return (s * support).sum() / support.sum()
prec, rec, f1 = div(tp, tp + fp), div(tp, tp + fn), div(2 * tp, 2 * tp + fp + fn)
def auc(s, y):  # Mann-Whitney: P(positive > negative) + P(tie) / 2
    pos, neg = s[y], s[~y]
    return ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg))
aucs = np.array([auc(p[:, c], t == c) for c in range(C)])
print(macro(prec), weighted(prec), macro(rec), weighted(rec), macro(f1), weighted(f1), tp.sum() / len(t))
print(aucs.mean(), (aucs * support).sum() / support.sum(), *aucs)
)PY";
  auto reference = lighter::test::python_numbers(script);
  if (!reference) return;
  REQUIRE(reference->size() == 13);
  const auto& r = *reference;
  Value::Table mc = {{"task", "multiclass"}, {"num_classes", 4}};
  auto with = [&](const char* average) {
    auto o = mc;
    o.emplace_back("average", average);
    return o;
  };
  CHECK(scalar(evaluate("Precision", with("macro"), predicted, target)) == Approx(r[0]));
  CHECK(scalar(evaluate("Precision", with("weighted"), predicted, target)) == Approx(r[1]));
  CHECK(scalar(evaluate("Recall", with("macro"), predicted, target)) == Approx(r[2]));
  CHECK(scalar(evaluate("Recall", with("weighted"), predicted, target)) == Approx(r[3]));
  CHECK(scalar(evaluate("F1Score", with("macro"), predicted, target)) == Approx(r[4]));
  CHECK(scalar(evaluate("F1Score", with("weighted"), predicted, target)) == Approx(r[5]));
  CHECK(scalar(evaluate("Precision", with("micro"), predicted, target)) == Approx(r[6]));
  CHECK(scalar(evaluate("AUROC", with("macro"), probs, target)) == Approx(r[7]));
  CHECK(scalar(evaluate("AUROC", with("weighted"), probs, target)) == Approx(r[8]));
  check_values(evaluate("AUROC", with("none"), probs, target), {r[9], r[10], r[11], r[12]});
}
