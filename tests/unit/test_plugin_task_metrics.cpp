// torchmetrics' task-specific classes (BinaryAccuracy, MulticlassF1Score, ...), JaccardIndex,
// Dice and the module paths configs use (torchmetrics.classification.X, torchmetrics.regression.X):
// values computed by hand, every parameter's error, aliases behaving as the original, and
// per-class values (average = "none") reaching the logs one value per class.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/sdk.hpp>

#include <cmath>
#include <set>

#include "support/fake_trainer.hpp"
#include "support/python_reference.hpp"

using lighter::Metric;
using lighter::ParamError;
using lighter::Value;

namespace {
const lighter::test::PluginHarness& metrics() { return lighter::test::plugin(LIGHTER_PLUGIN_TORCHMETRICS); }

std::shared_ptr<Metric> metric(const std::string& target, Value::Table values = {}) {
  return metrics().make<Metric>(target, std::move(values));
}
std::shared_ptr<Metric> classification(const std::string& name, Value::Table values = {}) {
  return metric("torchmetrics.classification." + name, std::move(values));
}

torch::Tensor labels(std::vector<int64_t> values) { return torch::tensor(values, torch::kLong); }

// Five samples, three classes: argmax 0 1 2 0 1; with target() the counts (tp, fp, fn) per class
// are 0: (1, 1, 0); 1: (2, 0, 1); 2: (0, 1, 1).
torch::Tensor logits() {
  return torch::tensor({{2.0, 1.0, 0.0}, {0.0, 3.0, 1.0}, {1.0, 0.0, 4.0}, {3.0, 2.0, 1.0}, {0.0, 1.0, 0.5}});
}
torch::Tensor target() { return labels({0, 1, 1, 2, 1}); }

// Binary: thresholded 1 0 1 0 1 against 1 0 0 0 1: tp 2, fp 1, fn 0, tn 2.
torch::Tensor probs() { return torch::tensor({0.9, 0.2, 0.6, 0.4, 0.7}); }
torch::Tensor binary_target() { return labels({1, 0, 0, 0, 1}); }

// Multilabel: 10 11 00 11 against 10 11 00 01. Label 0: tp 2, fp 1, fn 0, tn 1; label 1: tp 2, tn 2.
torch::Tensor label_probs() { return torch::tensor({{0.9, 0.1}, {0.6, 0.8}, {0.2, 0.3}, {0.7, 0.9}}); }
torch::Tensor label_target() { return labels({1, 0, 1, 1, 0, 0, 0, 1}).reshape({4, 2}); }

torch::Tensor evaluate(Metric& m, const torch::Tensor& preds, const torch::Tensor& target,
                       const std::string& expected_name) {
  m.update(preds, target);
  auto named = m.compute();
  REQUIRE(named.size() == 1);
  CHECK(named[0].first == expected_name);
  return named[0].second;
}

double scalar(const torch::Tensor& t) {
  REQUIRE(t.dim() == 0);
  return t.item<double>();
}

// The value of torchmetrics.classification.<name>(options) on the inputs of its task.
torch::Tensor task_value(const std::string& name, Value::Table options) {
  auto m = classification(name, options);
  if (name.rfind("Binary", 0) == 0) return evaluate(*m, probs(), binary_target(), name);
  if (name.rfind("Multilabel", 0) == 0) return evaluate(*m, label_probs(), label_target(), name);
  return evaluate(*m, logits(), target(), name);
}
double task_scalar(const std::string& name, Value::Table options = {}) { return scalar(task_value(name, options)); }

Value::Table with(Value::Table options, const std::string& key, Value value) {
  options.emplace_back(key, std::move(value));
  return options;
}

void check_values(const torch::Tensor& actual, std::vector<double> expected) {
  REQUIRE(actual.sizes() == torch::IntArrayRef{static_cast<int64_t>(expected.size())});
  for (size_t i = 0; i < expected.size(); ++i) CHECK(actual[i].item<double>() == Approx(expected[i]));
}

const Value::Table kThreeClasses = {{"num_classes", 3}};
const Value::Table kTwoLabels = {{"num_labels", 2}};
}  // namespace

TEST_CASE("task classes: accuracy, precision, recall, F1 and F-beta by hand", "[plugin][torchmetrics][task]") {
  // Binary: tp 2, fp 1, fn 0, tn 2.
  CHECK(task_scalar("BinaryAccuracy") == Approx(4.0 / 5));
  CHECK(task_scalar("BinaryPrecision") == Approx(2.0 / 3));
  CHECK(task_scalar("BinaryRecall") == Approx(1.0));
  CHECK(task_scalar("BinaryF1Score") == Approx(0.8));
  CHECK(task_scalar("BinaryFBetaScore", {{"beta", 0.5}}) == Approx(2.5 / 3.5));
  CHECK(task_scalar("BinaryAccuracy", {{"threshold", 0.65}}) == Approx(1.0));  // 1 0 0 0 1
  // Multiclass classes average "macro" unless told (the Accuracy(task=...) wrapper: "micro").
  CHECK(task_scalar("MulticlassAccuracy", kThreeClasses) == Approx((1.0 + 2.0 / 3 + 0.0) / 3));
  CHECK(task_scalar("MulticlassAccuracy", with(kThreeClasses, "average", "micro")) == Approx(3.0 / 5));
  CHECK(task_scalar("MulticlassPrecision", kThreeClasses) == Approx((0.5 + 1.0 + 0.0) / 3));
  CHECK(task_scalar("MulticlassRecall", with(kThreeClasses, "average", "weighted")) == Approx(3.0 / 5));
  CHECK(task_scalar("MulticlassF1Score", kThreeClasses) == Approx((2.0 / 3 + 0.8 + 0.0) / 3));
  // beta = 2: 5 tp / (5 tp + 4 fn + fp) per class: 5/6, 10/14, 0.
  CHECK(task_scalar("MulticlassFBetaScore", with(kThreeClasses, "beta", 2.0)) == Approx((5.0 / 6 + 10.0 / 14) / 3));
  check_values(task_value("MulticlassPrecision", with(kThreeClasses, "average", "none")), {0.5, 1.0, 0.0});
  // top_k = 2 sets {0,1} {1,2} {2,0} {0,1} {1,2}: hits for samples 0, 1 and 4.
  CHECK(task_scalar("MulticlassAccuracy", {{"num_classes", 3}, {"top_k", 2}, {"average", "micro"}}) ==
        Approx(3.0 / 5));
  // Multilabel: label 0 accuracy 3/4, label 1 1; F1 4/5 and 1.
  CHECK(task_scalar("MultilabelAccuracy", kTwoLabels) == Approx(0.875));
  CHECK(task_scalar("MultilabelAccuracy", with(kTwoLabels, "average", "micro")) == Approx(7.0 / 8));
  CHECK(task_scalar("MultilabelPrecision", kTwoLabels) == Approx((2.0 / 3 + 1.0) / 2));
  CHECK(task_scalar("MultilabelRecall", kTwoLabels) == Approx(1.0));
  CHECK(task_scalar("MultilabelF1Score", kTwoLabels) == Approx(0.9));
  check_values(task_value("MultilabelF1Score", with(kTwoLabels, "average", "none")), {0.8, 1.0});
  CHECK(task_scalar("MultilabelFBetaScore", {{"num_labels", 2}, {"beta", 1.0}}) == Approx(0.9));
}

TEST_CASE("task classes equal the task wrappers given the same average", "[plugin][torchmetrics][task]") {
  for (const char* name : {"Accuracy", "Precision", "Recall", "F1Score", "JaccardIndex"}) {
    for (const char* average : {"micro", "macro", "weighted", "none"}) {
      auto wrapped = evaluate(*metric(std::string("torchmetrics.") + name,
                                      {{"task", "multiclass"}, {"num_classes", 3}, {"average", average}}),
                              logits(), target(), name);
      auto own = task_value(std::string("Multiclass") + name, with(kThreeClasses, "average", average));
      CHECK(torch::allclose(wrapped, own));
    }
  }
  // The wrappers' own default is micro (Precision(task="multiclass")), the task classes' macro.
  auto wrapper_default = evaluate(*metric("torchmetrics.Precision", {{"task", "multiclass"}, {"num_classes", 3}}),
                                  logits(), target(), "Precision");
  CHECK(scalar(wrapper_default) == Approx(3.0 / 5));
  // FBetaScore with beta 1 is F1Score.
  CHECK(scalar(evaluate(*metric("torchmetrics.FBetaScore", {{"task", "binary"}}), probs(), binary_target(),
                        "FBetaScore")) == Approx(0.8));
}

TEST_CASE("zero_division: F1, F-beta and Jaccard take 0 or 1 for an undefined score", "[plugin][torchmetrics][task]") {
  const auto none_positive = torch::tensor({0.1, 0.2}), negatives = labels({0, 0});  // tp = fp = fn = 0
  for (const char* name : {"BinaryF1Score", "BinaryJaccardIndex"}) {
    CHECK(scalar(evaluate(*classification(name), none_positive, negatives, name)) == 0.0);
    CHECK(scalar(evaluate(*classification(name, {{"zero_division", 1}}), none_positive, negatives, name)) == 1.0);
  }
  CHECK(scalar(evaluate(*classification("BinaryFBetaScore", {{"beta", 2.0}, {"zero_division", 1.0}}), none_positive,
                        negatives, "BinaryFBetaScore")) == 1.0);
}

TEST_CASE("JaccardIndex: binary, multiclass, multilabel by hand", "[plugin][torchmetrics][task]") {
  CHECK(task_scalar("BinaryJaccardIndex") == Approx(2.0 / 3));
  // Multiclass tp / (tp + fp + fn): 1/2, 2/3, 0; supports 1, 3, 1.
  CHECK(task_scalar("MulticlassJaccardIndex", kThreeClasses) == Approx((0.5 + 2.0 / 3) / 3));
  CHECK(task_scalar("MulticlassJaccardIndex", with(kThreeClasses, "average", "micro")) == Approx(3.0 / 7));
  CHECK(task_scalar("MulticlassJaccardIndex", with(kThreeClasses, "average", "weighted")) == Approx(2.5 / 5));
  check_values(task_value("MulticlassJaccardIndex", with(kThreeClasses, "average", "none")), {0.5, 2.0 / 3, 0.0});
  // Multilabel: label 0 2/3, label 1 1; micro 4 / 5.
  CHECK(task_scalar("MultilabelJaccardIndex", kTwoLabels) == Approx(5.0 / 6));
  CHECK(task_scalar("MultilabelJaccardIndex", with(kTwoLabels, "average", "micro")) == Approx(0.8));
  // The wrapper's default is macro too.
  CHECK(scalar(evaluate(*metric("torchmetrics.JaccardIndex", {{"task", "multiclass"}, {"num_classes", 3}}), logits(),
                        target(), "JaccardIndex")) == Approx((0.5 + 2.0 / 3) / 3));
}

TEST_CASE("JaccardIndex: an ignore_index that is a class leaves the class out", "[plugin][torchmetrics][task]") {
  // Sample 3 (target 2) is dropped: preds 0 1 2 1 against 0 1 1 1. Class 0 (1, 0, 0),
  // class 1 (2, 0, 1), class 2 (0, 1, 0), which macro and micro leave out as torchmetrics.
  auto ignored = with(kThreeClasses, "ignore_index", 2);
  CHECK(task_scalar("MulticlassJaccardIndex", ignored) == Approx((1.0 + 2.0 / 3) / 2));
  CHECK(task_scalar("MulticlassJaccardIndex", with(ignored, "average", "micro")) == Approx(3.0 / 4));
  check_values(task_value("MulticlassJaccardIndex", with(ignored, "average", "none")), {1.0, 2.0 / 3, 0.0});
  // An ignore_index outside the classes only drops samples: 0 1 1 2 1 with sample 2 as -1.
  auto m = classification("MulticlassJaccardIndex", {{"num_classes", 3}, {"ignore_index", -1}});
  // Counts 0: (1, 1, 0); 1: (2, 0, 0); 2: (0, 0, 1).
  CHECK(scalar(evaluate(*m, logits(), labels({0, 1, -1, 2, 1}), "MulticlassJaccardIndex")) ==
        Approx((0.5 + 1.0 + 0.0) / 3));
}

TEST_CASE("JaccardIndex matches torchmetrics' confusion-matrix formula in Python", "[plugin][torchmetrics][task]") {
  torch::manual_seed(3);
  const auto predicted = torch::randint(0, 4, {50}, torch::kLong), actual = torch::randint(0, 4, {50}, torch::kLong);
  const std::string script = "import numpy as np\n"
                             "p = np.array(" + lighter::test::py_list(predicted) + ")\n"
                             "t = np.array(" + lighter::test::py_list(actual) + ")\n"
                             R"PY(
C = 4
cm = np.zeros((C, C))
for a, b in zip(t, p): cm[a, b] += 1
num = np.diag(cm); denom = cm.sum(0) + cm.sum(1) - num
j = np.where(denom > 0, num / np.where(denom > 0, denom, 1), 0.0)
w = cm.sum(1)
print(j.mean(), num.sum() / denom.sum(), (j * w).sum() / w.sum(), *j)
)PY";
  auto reference = lighter::test::python_numbers(script);
  if (!reference) return;
  REQUIRE(reference->size() == 7);
  const auto& r = *reference;
  auto jaccard = [&](const char* average) {
    return evaluate(*classification("MulticlassJaccardIndex", {{"num_classes", 4}, {"average", average}}), predicted,
                    actual, "MulticlassJaccardIndex");
  };
  CHECK(scalar(jaccard("macro")) == Approx(r[0]));
  CHECK(scalar(jaccard("micro")) == Approx(r[1]));
  CHECK(scalar(jaccard("weighted")) == Approx(r[2]));
  check_values(jaccard("none"), {r[3], r[4], r[5], r[6]});
}

TEST_CASE("Dice: micro and macro over the task its inputs describe", "[plugin][torchmetrics][task]") {
  auto dice = [](Value::Table options, const torch::Tensor& preds, const torch::Tensor& target) {
    return scalar(evaluate(*metric("torchmetrics.Dice", std::move(options)), preds, target, "Dice"));
  };
  // Multiclass scores: 2 tp / (2 tp + fp + fn) per class 2/3, 4/5, 0; micro 6 / 10.
  CHECK(dice({}, logits(), target()) == Approx(0.6));
  CHECK(dice({{"average", "macro"}, {"num_classes", 3}}, logits(), target()) == Approx((2.0 / 3 + 0.8) / 3));
  // Class labels need num_classes.
  CHECK(dice({{"num_classes", 3}}, labels({0, 1, 2, 0, 1}), target()) == Approx(0.6));
  // Binary probabilities: tp 2, fp 1, fn 0.
  CHECK(dice({}, probs(), binary_target()) == Approx(0.8));
  // Multilabel: label 0 4/5, label 1 1; micro 8 / 9.
  CHECK(dice({}, label_probs(), label_target()) == Approx(8.0 / 9));
  CHECK(dice({{"average", "macro"}, {"num_classes", 2}}, label_probs(), label_target()) == Approx(0.9));
  // ignore_index is a class left out: class 0 gone, micro 4 / 7, macro over classes 1 and 2.
  CHECK(dice({{"ignore_index", 0}}, logits(), target()) == Approx(4.0 / 7));
  CHECK(dice({{"ignore_index", 0}, {"num_classes", 3}, {"average", "macro"}}, logits(), target()) == Approx(0.4));
  // Macro leaves out classes that never occur (class 3 here).
  auto four = torch::cat({logits(), torch::full({5, 1}, -9.0)}, 1);
  CHECK(dice({{"average", "macro"}, {"num_classes", 4}}, four, target()) == Approx((2.0 / 3 + 0.8) / 3));
  // top_k = 2 counts both of each sample's best classes as predicted: tp 3, fp 7, fn 2.
  CHECK(dice({{"top_k", 2}}, logits(), target()) == Approx(6.0 / 15));
  // (N, C, H, W) scores: each position a sample; argmax 1 0 / 1 1 against 1 0 / 0 1: tp 3, fp 1, fn 1.
  auto image = torch::tensor({0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0}).reshape({1, 2, 2, 2});
  CHECK(dice({}, image, labels({1, 0, 0, 1}).reshape({1, 2, 2})) == Approx(6.0 / 8));
  CHECK(std::isnan(scalar(metric("torchmetrics.Dice")->compute().at(0).second)));
}

TEST_CASE("Dice rejects what torchmetrics' Dice rejects, and what it cannot do", "[plugin][torchmetrics][task]") {
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"average", "none"}}), ParamError);  // as torchmetrics
  CHECK_THROWS_WITH(metric("torchmetrics.Dice", {{"average", "none"}}), Catch::Contains("MulticlassF1Score"));
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"average", "samples"}}), ParamError);
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"average", "weighted"}}), ParamError);
  CHECK_THROWS_WITH(metric("torchmetrics.Dice", {{"average", "macro"}}), Catch::Contains("num_classes"));
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"num_classes", 3}, {"ignore_index", 3}}), ParamError);
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"num_classes", 1}, {"ignore_index", 0}}), ParamError);
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"threshold", 1.5}}), ParamError);
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"zero_division", 2}}), ParamError);
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"top_k", 0}}), ParamError);
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"mdmc_average", "samplewise"}}), ParamError);
  CHECK_THROWS_AS(metric("torchmetrics.Dice", {{"multiclass", true}}), ParamError);
  CHECK_THROWS_WITH(metric("torchmetrics.Dice")->update(labels({0, 1, 2}), labels({0, 1, 1})),
                    Catch::Contains("Dice") && Catch::Contains("num_classes"));
  CHECK_THROWS_WITH(metric("torchmetrics.Dice", {{"num_classes", 4}})->update(logits(), target()),
                    Catch::Contains("3 classes") && Catch::Contains("num_classes = 4"));
  CHECK_THROWS_WITH(metric("torchmetrics.Dice", {{"top_k", 2}})->update(probs(), binary_target()),
                    Catch::Contains("top_k"));
  CHECK_THROWS_WITH(metric("torchmetrics.Dice", {{"mdmc_average", Value()}})
                        ->update(torch::rand({1, 2, 2, 2}), labels({1, 0, 0, 1}).reshape({1, 2, 2})),
                    Catch::Contains("mdmc_average"));
  auto changing = metric("torchmetrics.Dice");
  changing->update(logits(), target());
  CHECK_THROWS_WITH(changing->update(probs(), binary_target()), Catch::Contains("earlier batches"));
}

TEST_CASE("task classes reject bad parameters before training", "[plugin][torchmetrics][task]") {
  auto rejects = [](const std::string& name, Value::Table options, const std::string& key) {
    INFO(name << " " << key);
    CHECK_THROWS_AS(classification(name, options), ParamError);
    try {
      classification(name, options);
    } catch (const ParamError& e) {
      // The host's own checks name the key; the factory's a.fail its path ("<target>::key").
      const std::string path = e.key_path();
      CHECK((path == key || path == "torchmetrics.classification." + name + "::" + key));
    }
  };
  rejects("MulticlassAccuracy", {}, "num_classes");                          // required
  rejects("MulticlassAccuracy", {{"num_classes", 1}}, "num_classes");
  rejects("MultilabelF1Score", {}, "num_labels");
  rejects("MultilabelRecall", {{"num_labels", 0}}, "num_labels");
  rejects("MulticlassPrecision", with(kThreeClasses, "average", "mean"), "average");
  rejects("MulticlassPrecision", with(kThreeClasses, "top_k", 4), "top_k");  // more than the classes
  rejects("MulticlassPrecision", with(kThreeClasses, "top_k", 0), "top_k");
  rejects("BinaryAccuracy", {{"threshold", 1.5}}, "threshold");
  rejects("MultilabelAccuracy", {{"num_labels", 2}, {"threshold", -0.1}}, "threshold");
  rejects("BinaryAccuracy", {{"multidim_average", "samplewise"}}, "multidim_average");  // not supported
  rejects("BinaryAccuracy", {{"multidim_average", "sample"}}, "multidim_average");
  rejects("BinaryAccuracy", {{"num_classes", 2}}, "num_classes");        // not a parameter of the class
  rejects("BinaryRecall", {{"average", "macro"}}, "average");
  rejects("MultilabelAccuracy", {{"num_labels", 2}, {"top_k", 2}}, "top_k");
  rejects("MulticlassAccuracy", {{"num_classes", 3}, {"threshold", 0.5}}, "threshold");
  rejects("BinaryPrecision", {{"zero_division", 1}}, "zero_division");   // torchmetrics' Precision has none
  rejects("BinaryF1Score", {{"zero_division", 0.5}}, "zero_division");
  rejects("BinaryFBetaScore", {}, "beta");                               // required
  rejects("MulticlassFBetaScore", {{"num_classes", 3}, {"beta", 0.0}}, "beta");
  rejects("BinaryAccuracy", {{"validate_args", "yes"}}, "validate_args");
  rejects("MulticlassJaccardIndex", with(kThreeClasses, "top_k", 2), "top_k");
  rejects("MulticlassJaccardIndex", with(kThreeClasses, "average", "samples"), "average");
  rejects("BinaryJaccardIndex", {{"threshold", 2.0}}, "threshold");
  rejects("JaccardIndex", {{"task", "regression"}}, "task");
  rejects("JaccardIndex", {{"task", "multilabel"}}, "num_labels");
  rejects("JaccardIndex", {{"task", "multiclass"}, {"num_classes", 3}, {"zero_division", 2}}, "zero_division");
  rejects("MulticlassAUROC", with(kThreeClasses, "average", "micro"), "average");
  rejects("BinaryAUROC", {{"max_fpr", 0.5}}, "max_fpr");
  rejects("BinaryAUROC", {{"thresholds", 10}}, "thresholds");
  rejects("MultilabelAUROC", {}, "num_labels");
  rejects("F1Score", {{"task", "binary"}, {"multidim_average", "samplewise"}}, "multidim_average");
  // Inputs are checked at update, naming the class.
  CHECK_THROWS_WITH(classification("MulticlassAccuracy", kThreeClasses)->update(logits(), labels({0, 1, 3, 0, 1})),
                    Catch::Contains("MulticlassAccuracy") && Catch::Contains("target"));
  CHECK_THROWS_WITH(classification("BinaryF1Score")->update(probs(), labels({1, 0})),
                    Catch::Contains("BinaryF1Score") && Catch::Contains("(5,)"));
}

TEST_CASE("AUROC task classes by hand", "[plugin][torchmetrics][task]") {
  CHECK(scalar(evaluate(*classification("BinaryAUROC"), torch::tensor({0.1, 0.4, 0.35, 0.8}), labels({0, 0, 1, 1}),
                        "BinaryAUROC")) == Approx(0.75));
  const auto scores = torch::tensor({{0.7, 0.2, 0.1}, {0.2, 0.5, 0.3}, {0.5, 0.3, 0.2}, {0.1, 0.3, 0.6}});
  check_values(evaluate(*classification("MulticlassAUROC", with(kThreeClasses, "average", "none")), scores,
                        labels({0, 1, 1, 2}), "MulticlassAUROC"),
               {1.0, 0.875, 1.0});
  const auto label_scores =
      torch::stack({torch::tensor({0.1, 0.4, 0.35, 0.8}), torch::tensor({0.5, 0.5, 0.2, 0.9})}, 1);
  const auto targets = torch::stack({labels({0, 0, 1, 1}), labels({0, 1, 0, 1})}, 1);
  CHECK(scalar(evaluate(*classification("MultilabelAUROC", kTwoLabels), label_scores, targets, "MultilabelAUROC")) ==
        Approx(0.8125));
}

TEST_CASE("module paths: torchmetrics.classification and .regression as configs write them",
          "[plugin][torchmetrics][task]") {
  // Aliases take the same parameters and compute the same values under the same name.
  for (const char* name : {"Accuracy", "Precision", "Recall", "F1Score", "FBetaScore", "JaccardIndex", "AUROC"}) {
    const auto& top = metrics().info(std::string("torchmetrics.") + name);
    const auto& alias = metrics().info(std::string("torchmetrics.classification.") + name);
    REQUIRE(top.params.size() == alias.params.size());
    for (size_t i = 0; i < top.params.size(); ++i) CHECK(top.params[i].name == alias.params[i].name);
    auto a = evaluate(*metric(top.name, {{"task", "binary"}}), probs(), binary_target(), name);
    auto b = evaluate(*metric(alias.name, {{"task", "binary"}}), probs(), binary_target(), name);
    CHECK(torch::equal(a, b));
  }
  CHECK(scalar(evaluate(*metric("torchmetrics.classification.Dice"), logits(), target(), "Dice")) == Approx(0.6));
  auto mse = [](const std::string& target) {
    return scalar(evaluate(*metric(target, {{"squared", false}}), torch::tensor({1.0, 2.0}), torch::tensor({1.0, 4.0}),
                           "MeanSquaredError"));
  };
  CHECK(mse("torchmetrics.regression.MeanSquaredError") == Approx(std::sqrt(2.0)));
  CHECK(mse("torchmetrics.MeanSquaredError") == Approx(std::sqrt(2.0)));
  CHECK(scalar(evaluate(*metric("torchmetrics.regression.MeanAbsoluteError"), torch::tensor({1.0, 2.0}),
                        torch::tensor({1.0, 4.0}), "MeanAbsoluteError")) == Approx(1.0));
  CHECK_THROWS_AS(metric("torchmetrics.regression.MeanSquaredError", {{"squared", 1}}), ParamError);
  // As in Python, the task classes live only in torchmetrics.classification.
  std::set<std::string> names;
  for (const auto& info : metrics().components()) names.insert(info.name);
  CHECK(names.count("torchmetrics.classification.MulticlassAccuracy") == 1);
  CHECK(names.count("torchmetrics.MulticlassAccuracy") == 0);
  CHECK(names.count("torchmetrics.classification.MetricCollection") == 0);
  for (const char* task : {"Binary", "Multiclass", "Multilabel"})
    for (const char* name : {"Accuracy", "Precision", "Recall", "F1Score", "FBetaScore", "AUROC", "JaccardIndex"})
      CHECK(names.count(std::string("torchmetrics.classification.") + task + name) == 1);
}

TEST_CASE("per-class values (average none) are logged as <name>_<class index>", "[plugin][torchmetrics][task]") {
  auto jaccard = classification("MulticlassJaccardIndex", {{"num_classes", 3}, {"average", "none"}});
  auto network = lighter::make_module(torch::nn::Linear(4, 3));
  auto model = lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_MODELS)
                   .make<lighter::LighterModule>("lighter.SupervisedModule", {{"task", "classification"}},
                                                 {{"network", network},
                                                  {"criterion", lighter::make_module(torch::nn::CrossEntropyLoss())},
                                                  {"val_metrics", jaccard}});
  lighter::test::FakeTrainer trainer;
  model->attach(&trainer);
  torch::manual_seed(5);
  const auto input = torch::randn({12, 4});
  const auto target = torch::randint(0, 3, {12}, torch::kLong);
  model->validation_step({{"input", input}, {"target", target}}, 0);
  model->on_validation_epoch_end(trainer, *model);
  // The expected per-class values from the network's own predictions.
  torch::NoGradGuard no_grad;
  const auto predicted = network->forward(input).argmax(1);
  for (int64_t c = 0; c < 3; ++c) {
    const auto tp = ((predicted == c) & (target == c)).sum().item<double>();
    const auto either = ((predicted == c) | (target == c)).sum().item<double>();
    for (const char* when : {"step", "epoch"}) {
      const std::string key = "val/metrics/MulticlassJaccardIndex_" + std::to_string(c) + "/" + when;
      INFO(key);
      REQUIRE(trainer.metrics.count(key) == 1);
      CHECK(trainer.metrics.at(key) == Approx(either > 0 ? tp / either : 0.0));
    }
  }
  CHECK(trainer.metrics.count("val/metrics/MulticlassJaccardIndex/epoch") == 0);
  CHECK(trainer.metrics.count("val/metrics/MulticlassJaccardIndex_3/epoch") == 0);
}
