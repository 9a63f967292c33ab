// The torchmetrics plugin: Accuracy over accumulated stat scores (exact over the epoch, values
// computed by hand below) and MetricCollection naming.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/sdk.hpp>

#include <algorithm>
#include <cmath>

using lighter::Metric;
using lighter::ParamError;
using lighter::Value;

namespace {
const lighter::test::PluginHarness& metrics() { return lighter::test::plugin(LIGHTER_PLUGIN_TORCHMETRICS); }

std::shared_ptr<Metric> accuracy(Value::Table values) {
  return metrics().make<Metric>("torchmetrics.Accuracy", std::move(values));
}

double value(const std::vector<std::pair<std::string, torch::Tensor>>& named) {
  REQUIRE(named.size() == 1);
  REQUIRE(named[0].second.dim() == 0);
  return named[0].second.item<double>();
}
double computed(Metric& metric) { return value(metric.compute()); }

// Five samples, three classes: argmax picks 0, 1, 2, 0, 1; top-2 sets {0,1} {1,2} {2,0} {0,1} {1,2}.
torch::Tensor logits() {
  return torch::tensor({{2.0, 1.0, 0.0}, {0.0, 3.0, 1.0}, {1.0, 0.0, 4.0}, {3.0, 2.0, 1.0}, {0.0, 1.0, 0.5}});
}
torch::Tensor labels(std::vector<int64_t> values) { return torch::tensor(values, torch::kLong); }

double multiclass(Value::Table options, const torch::Tensor& preds, const torch::Tensor& target) {
  options.emplace_back("task", "multiclass");
  if (!std::any_of(options.begin(), options.end(), [](const auto& kv) { return kv.first == "num_classes"; }))
    options.emplace_back("num_classes", 3);
  auto metric = accuracy(std::move(options));
  metric->update(preds, target);
  return computed(*metric);
}

// A stand-in for another metric class: the mean of preds.
class Mean : public Metric {
 public:
  void update(const torch::Tensor& preds, const torch::Tensor&) override {
    sum_ += preds.sum().item<double>();
    count_ += preds.numel();
  }
  std::vector<std::pair<std::string, torch::Tensor>> forward(const torch::Tensor& preds,
                                                             const torch::Tensor& target) override {
    update(preds, target);
    return {{"Mean", preds.to(torch::kDouble).mean()}};
  }
  std::vector<std::pair<std::string, torch::Tensor>> compute() override {
    return {{"Mean", torch::scalar_tensor(sum_ / count_)}};
  }
  void reset() override { sum_ = count_ = 0; }

 private:
  double sum_ = 0, count_ = 0;
};
}  // namespace

TEST_CASE("multiclass accuracy: micro, macro, weighted and per class", "[plugin][torchmetrics]") {
  const auto target = labels({0, 1, 1, 2, 1});  // hits: samples 0, 1 and 4
  CHECK(multiclass({}, logits(), target) == Approx(3.0 / 5));
  // Per-class recall 1/1, 2/3, 0/1.
  CHECK(multiclass({{"average", "macro"}}, logits(), target) == Approx((1.0 + 2.0 / 3 + 0.0) / 3));
  CHECK(multiclass({{"average", "weighted"}}, logits(), target) == Approx((1 * 1.0 + 3 * 2.0 / 3 + 1 * 0.0) / 5));
  auto per_class = accuracy({{"task", "multiclass"}, {"num_classes", 3}, {"average", "none"}});
  per_class->update(logits(), target);
  auto values = per_class->compute().at(0).second;
  REQUIRE(values.sizes() == torch::IntArrayRef{3});
  CHECK(values[0].item<double>() == Approx(1.0));
  CHECK(values[1].item<double>() == Approx(2.0 / 3));
  CHECK(values[2].item<double>() == Approx(0.0));
  // Class indices instead of scores give the same counts.
  CHECK(multiclass({}, labels({0, 1, 2, 0, 1}), target) == Approx(3.0 / 5));
}

TEST_CASE("macro accuracy leaves out classes that never occur (as torchmetrics)", "[plugin][torchmetrics]") {
  auto four = torch::cat({logits(), torch::full({5, 1}, -10.0)}, 1);  // class 3: never predicted nor a target
  CHECK(multiclass({{"num_classes", 4}, {"average", "macro"}}, four, labels({0, 1, 1, 2, 1})) ==
        Approx((1.0 + 2.0 / 3 + 0.0) / 3));
}

TEST_CASE("top-k accuracy counts a hit when the target is among the k best", "[plugin][torchmetrics]") {
  const auto target = labels({1, 2, 1, 2, 0});
  CHECK(multiclass({}, logits(), target) == 0.0);
  CHECK(multiclass({{"top_k", 2}}, logits(), target) == Approx(2.0 / 5));
  CHECK(multiclass({{"top_k", 3}}, logits(), target) == Approx(1.0));
  CHECK_THROWS_AS(accuracy({{"task", "multiclass"}, {"num_classes", 3}, {"top_k", 4}}), ParamError);
}

TEST_CASE("ignore_index leaves samples out of the counts", "[plugin][torchmetrics]") {
  CHECK(multiclass({{"ignore_index", -1}}, logits(), labels({0, 1, -1, 2, 1})) == Approx(3.0 / 4));
  // ignore_index may be a real class (a background label).
  CHECK(multiclass({{"ignore_index", 2}}, logits(), labels({0, 1, 1, 2, 1})) == Approx(3.0 / 4));
}

TEST_CASE("binary accuracy takes probabilities, logits or labels", "[plugin][torchmetrics]") {
  const auto target = labels({1, 0, 0, 0, 1});
  auto binary = [&](Value::Table options, const torch::Tensor& preds) {
    options.emplace_back("task", "binary");
    auto metric = accuracy(std::move(options));
    metric->update(preds, target);
    return computed(*metric);
  };
  const auto probs = torch::tensor({0.9, 0.2, 0.6, 0.4, 0.7});
  CHECK(binary({}, probs) == Approx(4.0 / 5));
  CHECK(binary({{"threshold", 0.65}}, probs) == Approx(1.0));
  CHECK(binary({}, torch::tensor({2.0, -1.0, 0.3, -0.2, 5.0})) == Approx(4.0 / 5));  // sigmoid first
  CHECK(binary({}, labels({1, 1, 0, 0, 1})) == Approx(4.0 / 5));
  CHECK(binary({{"ignore_index", 0}}, probs) == Approx(1.0));  // only the two positives count
}

TEST_CASE("multilabel accuracy counts every label of every sample", "[plugin][torchmetrics]") {
  const auto preds = torch::tensor({{0.9, 0.1}, {0.6, 0.8}, {0.2, 0.3}, {0.7, 0.9}});  // -> 10 11 00 11
  const auto target = labels({1, 0, 1, -1, 0, 1, 0, -1}).reshape({4, 2});
  auto multilabel = [&](Value::Table options) {
    options.emplace_back("task", "multilabel");
    options.emplace_back("num_labels", 2);
    options.emplace_back("ignore_index", -1);
    auto metric = accuracy(std::move(options));
    metric->update(preds, target);
    return metric->compute().at(0).second;
  };
  // Label 0: 3 of 4 right; label 1 (two ignored): 1 of 2 right.
  CHECK(multilabel({}).item<double>() == Approx(4.0 / 6));
  CHECK(multilabel({{"average", "macro"}}).item<double>() == Approx((0.75 + 0.5) / 2));
  auto per_label = multilabel({{"average", "none"}});
  CHECK(per_label[0].item<double>() == Approx(0.75));
  CHECK(per_label[1].item<double>() == Approx(0.5));
  CHECK_THROWS_AS(accuracy({{"task", "multilabel"}}), ParamError);  // num_labels required
}

TEST_CASE("accuracy is exact over the epoch, and forward returns the batch's own value", "[plugin][torchmetrics]") {
  auto metric = accuracy({{"task", "multiclass"}, {"num_classes", 3}});
  // Batch 1: 2 of 2 right; batch 2: 1 of 4 right. Epoch: 3 of 6, not the mean of 1.0 and 0.25.
  CHECK(value(metric->forward(labels({0, 1}), labels({0, 1}))) == 1.0);
  CHECK(value(metric->forward(labels({2, 2, 2, 0}), labels({2, 0, 1, 1}))) == 0.25);
  CHECK(computed(*metric) == 0.5);
  CHECK(computed(*metric) != Approx((1.0 + 0.25) / 2));
  metric->reset();
  CHECK(std::isnan(computed(*metric)));
  metric->update(labels({1}), labels({1}));
  CHECK(computed(*metric) == 1.0);
}

TEST_CASE("an empty accuracy is NaN", "[plugin][torchmetrics]") {
  CHECK(std::isnan(computed(*accuracy({{"task", "binary"}}))));
  CHECK(std::isnan(computed(*accuracy({{"task", "multiclass"}, {"num_classes", 3}, {"average", "macro"}}))));
  auto per_class = accuracy({{"task", "multiclass"}, {"num_classes", 3}, {"average", "none"}})->compute().at(0).second;
  CHECK(per_class.sizes() == torch::IntArrayRef{3});
  CHECK(torch::isnan(per_class).all().item<bool>());
  auto all_ignored = accuracy({{"task", "multiclass"}, {"num_classes", 3}, {"ignore_index", -1}});
  all_ignored->update(labels({0, 1}), labels({-1, -1}));
  CHECK(std::isnan(computed(*all_ignored)));
}

TEST_CASE("accuracy rejects inputs that do not fit its task", "[plugin][torchmetrics]") {
  CHECK_THROWS_AS(accuracy({{"task", "multiclass"}}), ParamError);  // num_classes required
  CHECK_THROWS_AS(accuracy({{"task", "regression"}}), ParamError);
  auto metric = accuracy({{"task", "multiclass"}, {"num_classes", 3}});
  CHECK_THROWS_WITH(metric->update(logits(), labels({0, 1, 3, 0, 0})), Catch::Contains("Accuracy") && Catch::Contains("target"));
  CHECK_THROWS_WITH(metric->update(logits(), labels({0, 1})), Catch::Contains("num_classes=3"));
  CHECK_THROWS_WITH(metric->update(torch::rand({5, 4}), labels({0, 1, 1, 0, 0})), Catch::Contains("preds"));
}

TEST_CASE("MetricCollection names members by class, with prefix and postfix", "[plugin][torchmetrics]") {
  auto mean = std::make_shared<Mean>();
  mean->set_target("project.Mean");
  auto collection = metrics().make<Metric>("torchmetrics.MetricCollection", {{"prefix", "val_"}}, {},
                                           {{"metrics", {accuracy({{"task", "multiclass"}, {"num_classes", 3}}), mean}}});
  auto batch = collection->forward(labels({0, 1, 2, 2}), labels({0, 1, 1, 2}));
  REQUIRE(batch.size() == 2);
  CHECK(batch[0].first == "val_Accuracy");
  CHECK(batch[0].second.item<double>() == 0.75);
  CHECK(batch[1].first == "val_Mean");
  collection->update(labels({0, 0}), labels({1, 1}));
  auto epoch = collection->compute();
  REQUIRE(epoch.size() == 2);
  CHECK(epoch[0].first == "val_Accuracy");
  CHECK(epoch[0].second.item<double>() == Approx(3.0 / 6));
  CHECK(epoch[1].second.item<double>() == Approx(5.0 / 6));
  collection->reset();
  CHECK(std::isnan(collection->compute()[0].second.item<double>()));

  auto single = metrics().make<Metric>("torchmetrics.MetricCollection", {}, {},
                                       {{"metrics", {accuracy({{"task", "binary"}})}}});
  CHECK(single->compute().at(0).first == "Accuracy");
}

TEST_CASE("MetricCollection refuses two members with one name", "[plugin][torchmetrics]") {
  auto a = accuracy({{"task", "binary"}}), b = accuracy({{"task", "binary"}, {"threshold", 0.7}});
  CHECK_THROWS_WITH(metrics().build("torchmetrics.MetricCollection", {}, {}, {{"metrics", {a, b}}}),
                    Catch::Contains("Accuracy"));
  CHECK_THROWS_AS(metrics().build("torchmetrics.MetricCollection"), ParamError);  // no members
}
