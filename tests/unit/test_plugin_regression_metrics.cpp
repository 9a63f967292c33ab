// torchmetrics' MeanSquaredError (and RMSE) and MeanAbsoluteError: hand-computed values, epoch
// exactness, and (when /usr/bin/python3 has torch) a random case against NumPy.
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
std::shared_ptr<Metric> metric(const std::string& name, Value::Table values = {}) {
  return lighter::test::plugin(LIGHTER_PLUGIN_TORCHMETRICS).make<Metric>("torchmetrics." + name, std::move(values));
}

double value(const std::vector<std::pair<std::string, torch::Tensor>>& named, const std::string& name) {
  REQUIRE(named.size() == 1);
  CHECK(named[0].first == name);
  REQUIRE(named[0].second.dim() == 0);
  return named[0].second.item<double>();
}

// Errors 0.5, 0.5, 0, 1: squared 0.25, 0.25, 0, 1.
torch::Tensor preds() { return torch::tensor({2.5, 0.0, 2.0, 8.0}); }
torch::Tensor target() { return torch::tensor({3.0, -0.5, 2.0, 7.0}); }

double once(const std::string& name, Value::Table options = {}) {
  auto m = metric(name, std::move(options));
  m->update(preds(), target());
  return value(m->compute(), name);
}
}  // namespace

TEST_CASE("mean squared / absolute error and RMSE", "[plugin][torchmetrics]") {
  CHECK(once("MeanSquaredError") == Approx(1.5 / 4));
  CHECK(once("MeanSquaredError", {{"squared", false}}) == Approx(std::sqrt(1.5 / 4)));
  CHECK(once("MeanAbsoluteError") == Approx(2.0 / 4));
  // Integer inputs work too.
  auto m = metric("MeanAbsoluteError");
  m->update(torch::tensor({1, 2, 3}), torch::tensor({1, 4, 0}));
  CHECK(value(m->compute(), "MeanAbsoluteError") == Approx(5.0 / 3));
}

TEST_CASE("regression errors are exact over the epoch, not a mean of batches", "[plugin][torchmetrics]") {
  for (bool squared : {true, false}) {
    auto rmse = metric("MeanSquaredError", {{"squared", squared}});
    auto mae = metric("MeanAbsoluteError");
    // Batch 1: the first sample; batch 2: the other three (squared errors 0.25 and 0.25 + 0 + 1).
    const double first = value(rmse->forward(preds().slice(0, 0, 1), target().slice(0, 0, 1)), "MeanSquaredError");
    CHECK(first == Approx(squared ? 0.25 : 0.5));
    const double rest = value(rmse->forward(preds().slice(0, 1), target().slice(0, 1)), "MeanSquaredError");
    CHECK(rest == Approx(squared ? 1.25 / 3 : std::sqrt(1.25 / 3)));
    CHECK(value(rmse->compute(), "MeanSquaredError") == Approx(once("MeanSquaredError", {{"squared", squared}})));
    CHECK(value(rmse->compute(), "MeanSquaredError") != Approx((first + rest) / 2));
    mae->update(preds().slice(0, 0, 1), target().slice(0, 0, 1));
    mae->update(preds().slice(0, 1), target().slice(0, 1));
    CHECK(value(mae->compute(), "MeanAbsoluteError") == Approx(0.5));
    rmse->reset();
    CHECK(std::isnan(value(rmse->compute(), "MeanSquaredError")));
  }
  CHECK(std::isnan(value(metric("MeanAbsoluteError")->compute(), "MeanAbsoluteError")));
}

TEST_CASE("mean squared error per output with num_outputs", "[plugin][torchmetrics]") {
  auto m = metric("MeanSquaredError", {{"num_outputs", 2}});
  m->update(torch::tensor({{1.0, 2.0}, {3.0, 4.0}}), torch::tensor({{1.0, 0.0}, {0.0, 4.0}}));
  auto values = m->compute().at(0).second;
  REQUIRE(values.sizes() == torch::IntArrayRef{2});
  CHECK(values[0].item<double>() == Approx(9.0 / 2));
  CHECK(values[1].item<double>() == Approx(4.0 / 2));
  CHECK_THROWS_WITH(m->update(torch::zeros({2, 3}), torch::zeros({2, 3})), Catch::Contains("num_outputs=2"));
}

TEST_CASE("regression metrics reject bad options and shapes", "[plugin][torchmetrics]") {
  CHECK_THROWS_AS(metric("MeanSquaredError", {{"squared", 1.5}}), ParamError);
  CHECK_THROWS_AS(metric("MeanSquaredError", {{"num_outputs", 0}}), ParamError);
  CHECK_THROWS_AS(metric("MeanAbsoluteError", {{"squared", false}}), ParamError);
  CHECK_THROWS_WITH(metric("MeanAbsoluteError")->update(torch::zeros({4, 1}), torch::zeros({4})),
                    Catch::Contains("MeanAbsoluteError") && Catch::Contains("(4, 1)") && Catch::Contains("(4,)"));
}

TEST_CASE("regression metrics match NumPy", "[plugin][torchmetrics]") {
  torch::manual_seed(3);
  const auto p = torch::randn({50}), t = torch::randn({50});
  auto reference = lighter::test::python_numbers("import numpy as np\np = np.array(" + lighter::test::py_list(p) +
                                                 ")\nt = np.array(" + lighter::test::py_list(t) +
                                                 ")\nprint(((p - t) ** 2).mean(), np.sqrt(((p - t) ** 2).mean()), "
                                                 "np.abs(p - t).mean())\n");
  if (!reference) return;
  REQUIRE(reference->size() == 3);
  auto run = [&](const std::string& name, Value::Table o) {
    auto m = metric(name, std::move(o));
    m->update(p.slice(0, 0, 20), t.slice(0, 0, 20));
    m->update(p.slice(0, 20), t.slice(0, 20));
    return value(m->compute(), name);
  };
  CHECK(run("MeanSquaredError", {}) == Approx((*reference)[0]));
  CHECK(run("MeanSquaredError", {{"squared", false}}) == Approx((*reference)[1]));
  CHECK(run("MeanAbsoluteError", {}) == Approx((*reference)[2]));
}
