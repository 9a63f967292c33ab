// DanLing's streaming meters in the SDK (lighter::danling): AverageMeter (scalar or elementwise
// tensor running averages), AverageMeters, MetricMeter and StreamMetrics.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/dist.hpp>
#include <lighter/meters.hpp>

#include <cmath>

#include "internal.hpp"

using lighter::danling::AverageMeter;
using lighter::danling::AverageMeters;
using lighter::danling::MetricMeter;
using lighter::danling::StreamMetrics;
using Catch::Matchers::Contains;

namespace {
// Binary accuracy on probabilities: (input > 0.5) == target, averaged over the batch.
double accuracy(const torch::Tensor& input, const torch::Tensor& target) {
  return (input.gt(0.5) == target.to(torch::kBool)).to(torch::kFloat64).mean().item<double>();
}
double mean_abs_error(const torch::Tensor& input, const torch::Tensor& target) {
  return (input.to(torch::kFloat64) - target.to(torch::kFloat64)).abs().mean().item<double>();
}
bool all_close(const torch::Tensor& a, std::vector<double> expected) {
  return a.scalar_type() == torch::kFloat64 && torch::allclose(a, torch::tensor(expected, torch::kFloat64));
}
}  // namespace

TEST_CASE("AverageMeter weighs updates by n", "[sdk][meters]") {
  AverageMeter meter;
  meter.update(0.7);
  CHECK(meter.val() == 0.7);
  CHECK(meter.avg() == 0.7);
  meter.update(0.9);
  CHECK(meter.avg() == 0.8);
  CHECK(meter.sum() == 1.6);
  CHECK(meter.count() == 2);
  meter.update(0.5, 3);
  CHECK(meter.val() == 0.5);
  CHECK(meter.bat() == 0.5);  // one process: bat is val
  CHECK(meter.avg() == 0.62);
  CHECK(meter.sum() == 3.1);
  CHECK(meter.count() == 5);
  CHECK_FALSE(meter.is_tensor());
  CHECK(meter.format() == "0.5000 (0.6200)");
  CHECK(meter.format(2) == "0.50 (0.62)");
  CHECK(meter.tensor_avg().dim() == 0);
  CHECK(meter.tensor_avg().item<double>() == 0.62);
}

TEST_CASE("AverageMeter: n = 0 sets val only; a negative n is an error", "[sdk][meters]") {
  AverageMeter meter;
  meter.update(0.3, 0);
  CHECK(meter.val() == 0.3);
  CHECK(meter.count() == 0);
  CHECK(meter.sum() == 0.0);
  CHECK(std::isnan(meter.avg()));
  meter.update(0.7);
  meter.update(0.1, 0);
  CHECK(meter.val() == 0.1);
  CHECK(meter.avg() == 0.7);
  CHECK(meter.sum() == 0.7);
  CHECK(meter.count() == 1);
  CHECK_THROWS_WITH(meter.update(0.5, -1), Contains("n must be >= 0, got -1"));
  CHECK(meter.count() == 1);
}

TEST_CASE("An empty AverageMeter reports NaN", "[sdk][meters]") {
  AverageMeter meter;
  CHECK(meter.empty());
  CHECK(std::isnan(meter.val()));
  CHECK(std::isnan(meter.bat()));
  CHECK(std::isnan(meter.avg()));
  CHECK(meter.sum() == 0.0);
  CHECK(meter.count() == 0);
  CHECK(std::isnan(meter.tensor_val().item<double>()));
  CHECK(meter.format() == "nan (nan)");
}

TEST_CASE("AverageMeter keeps tensors elementwise in float64 with a fixed shape", "[sdk][meters]") {
  AverageMeter meter;
  torch::Tensor first = torch::tensor({1.0f, 2.0f});
  meter.update(first);
  first.fill_(100);  // the meter copied it
  meter.update(torch::tensor({3.0f, 4.0f}), 3);
  CHECK(meter.is_tensor());
  CHECK(meter.count() == 4);
  CHECK(all_close(meter.tensor_val(), {3.0, 4.0}));
  CHECK(all_close(meter.tensor_bat(), {3.0, 4.0}));
  CHECK(all_close(meter.tensor_sum(), {10.0, 14.0}));
  CHECK(all_close(meter.tensor_avg(), {2.5, 3.5}));
  CHECK(meter.format(1) == "[3.0, 4.0] ([2.5, 3.5])");
  meter.tensor_val().fill_(0);  // accessors return copies
  CHECK(all_close(meter.tensor_val(), {3.0, 4.0}));
  CHECK_THROWS_AS(meter.val(), std::logic_error);
  CHECK_THROWS_WITH(meter.avg(), Contains("tensors of shape [2]") && Contains("tensor_avg()"));

  AverageMeter grid;
  grid.update(torch::ones({2, 2}, torch::kInt64), 0);  // n = 0 fixes the kind and shape, averages nothing
  CHECK(grid.tensor_val().scalar_type() == torch::kFloat64);
  CHECK(torch::isnan(grid.tensor_avg()).all().item<bool>());
  CHECK(grid.format(0) == "[[1, 1], [1, 1]] ([[nan, nan], [nan, nan]])");
}

TEST_CASE("AverageMeter rejects mixing scalars and tensors, and shape changes", "[sdk][meters]") {
  AverageMeter scalar;
  scalar.update(0.5);
  CHECK_THROWS_AS(scalar.update(torch::tensor({1.0, 2.0})), std::invalid_argument);
  CHECK_THROWS_WITH(scalar.update(torch::tensor({1.0, 2.0})),
                    Contains("expected a scalar") && Contains("got a tensor of shape [2]"));

  AverageMeter tensor;
  tensor.update(torch::tensor({1.0, 2.0}));
  CHECK_THROWS_AS(tensor.update(0.5), std::invalid_argument);
  CHECK_THROWS_WITH(tensor.update(0.5), Contains("expected a tensor of shape [2]") && Contains("got a scalar"));
  CHECK_THROWS_WITH(tensor.update(torch::tensor({1.0, 2.0, 3.0})),
                    Contains("expected a tensor of shape [2], got shape [3]"));
  CHECK_THROWS_WITH(tensor.update(torch::ones({1, 2})), Contains("got shape [1, 2]"));
  CHECK(tensor.count() == 1);  // failed updates change nothing
  CHECK(all_close(tensor.tensor_val(), {1.0, 2.0}));
}

TEST_CASE("AverageMeter reset empties the meter and frees its kind", "[sdk][meters]") {
  AverageMeter meter;
  meter.update(torch::tensor({1.0, 2.0}), 2);
  meter.reset();
  CHECK(meter.empty());
  CHECK_FALSE(meter.is_tensor());
  CHECK(meter.count() == 0);
  CHECK(std::isnan(meter.val()));
  CHECK(std::isnan(meter.avg()));
  meter.update(0.25);  // a scalar now
  CHECK(meter.avg() == 0.25);
}

TEST_CASE("AverageMeter reduces bat and avg through a reducer", "[sdk][meters]") {
  // A stand-in all-reduce: one other process whose meter saw 0.3 with weight 3.
  AverageMeter meter;
  int calls = 0;
  meter.set_reducer([&calls](const torch::Tensor& local) {
    ++calls;
    return local + torch::tensor({0.9, 3.0}, torch::kFloat64);
  });
  meter.update(0.9);
  CHECK(meter.val() == 0.9);
  CHECK(meter.bat() == Approx(0.45));
  CHECK(meter.avg() == Approx(0.45));
  CHECK(calls == 2);

  AverageMeter tensor;
  tensor.set_reducer([](const torch::Tensor& local) { return local * 2; });  // two identical processes
  tensor.update(torch::tensor({1.0, 3.0}), 2);
  CHECK(all_close(tensor.tensor_bat(), {1.0, 3.0}));
  CHECK(all_close(tensor.tensor_avg(), {1.0, 3.0}));
}

TEST_CASE("AverageMeters creates meters on first use and formats like DanLing", "[sdk][meters]") {
  AverageMeters meters;
  CHECK(meters.size() == 0);
  meters.update({{"loss", 0.6}, {"auroc", 0.7}, {"r2", 0.8}});
  CHECK(meters.names() == std::vector<std::string>{"loss", "auroc", "r2"});
  CHECK(meters.format() == "loss: 0.6000 (0.6000)\tauroc: 0.7000 (0.7000)\tr2: 0.8000 (0.8000)");
  meters["loss"].update(0.9);
  CHECK(meters.format() == "loss: 0.9000 (0.7500)\tauroc: 0.7000 (0.7000)\tr2: 0.8000 (0.8000)");
  CHECK(meters.val().at("loss") == 0.9);
  CHECK(meters.bat().at("loss") == 0.9);
  CHECK(meters.avg().at("loss") == 0.75);
  CHECK(meters.sum() == lighter::danling::ScalarValues{{"loss", 1.5}, {"auroc", 0.7}, {"r2", 0.8}});
  CHECK(meters.count() == std::map<std::string, int64_t>{{"loss", 2}, {"auroc", 1}, {"r2", 1}});

  meters.update("acc", 0.5, 4);
  CHECK(meters.contains("acc"));
  CHECK(meters.at("acc").count() == 4);
  CHECK_FALSE(meters.contains("f1"));
  CHECK_THROWS_WITH(meters.at("f1"), Contains("no meter named 'f1'") && Contains("loss, auroc, r2, acc"));

  meters.update("emb", torch::tensor({1.0, 2.0}));
  CHECK_THROWS_AS(meters.val(), std::logic_error);  // a tensor meter: read tensor values
  const auto values = meters.tensor_val();
  REQUIRE(values.size() == 5);
  CHECK(values[4].first == "emb");
  CHECK(all_close(values[4].second, {1.0, 2.0}));
  CHECK(meters.tensor_avg()[0].second.item<double>() == 0.75);

  meters.reset();
  CHECK(meters.size() == 5);
  CHECK(meters.format() == "loss: nan (nan)\tauroc: nan (nan)\tr2: nan (nan)\tacc: nan (nan)\temb: nan (nan)");
}

TEST_CASE("MetricMeter averages a metric weighted by batch size", "[sdk][meters]") {
  MetricMeter meter(accuracy);
  meter.update(torch::tensor({0.1, 0.8, 0.6, 0.2}), torch::tensor({0, 1, 0, 0}));
  CHECK(meter.val() == 0.75);
  CHECK(meter.avg() == 0.75);
  meter.update(torch::tensor({0.1, 0.7, 0.3, 0.2, 0.8, 0.4}), torch::tensor({0, 1, 1, 0, 0, 1}));
  CHECK(meter.val() == 0.5);
  CHECK(meter.avg() == 0.6);
  CHECK(meter.sum() == 6.0);
  CHECK(meter.count() == 10);
  meter.update(torch::tensor({0.9}), torch::tensor({1}), 10);  // an explicit n
  CHECK(meter.count() == 20);
  CHECK(meter.avg() == 0.8);
  CHECK_THROWS_WITH(meter.update(torch::tensor({0.9}), torch::tensor({1}), 0), Contains("n must be > 0"));
  meter.reset();
  CHECK(std::isnan(meter.val()));
  CHECK(std::isnan(meter.avg()));
  CHECK_THROWS_AS(MetricMeter(nullptr), std::invalid_argument);
}

TEST_CASE("MetricMeter applies its preprocessing without autograd", "[sdk][meters]") {
  MetricMeter meter(accuracy, [](const torch::Tensor& logits, const torch::Tensor& target) {
    CHECK_FALSE(torch::GradMode::is_enabled());
    return std::make_pair(logits.sigmoid(), target);
  });
  torch::Tensor logits = torch::tensor({-2.0, 3.0, 1.0, -1.0}).requires_grad_();
  meter.update(logits, torch::tensor({0, 1, 0, 0}));
  CHECK(meter.val() == 0.75);
  CHECK(meter.count() == 4);
}

TEST_CASE("StreamMetrics preprocesses once per update for all its meters", "[sdk][meters]") {
  int preprocess_calls = 0;
  StreamMetrics metrics({{"acc", accuracy}, {"mae", mean_abs_error}},
                        [&preprocess_calls](const torch::Tensor& input, const torch::Tensor& target) {
                          ++preprocess_calls;
                          return std::make_pair(input.sigmoid(), target);
                        });
  CHECK(metrics.names() == std::vector<std::string>{"acc", "mae"});
  const torch::Tensor logits = torch::tensor({-2.0, 3.0, 1.0, -1.0});
  metrics.update(logits, torch::tensor({0, 1, 0, 0}));
  CHECK(preprocess_calls == 1);
  const double mae1 = mean_abs_error(logits.sigmoid(), torch::tensor({0, 1, 0, 0}));
  CHECK(metrics.val() == lighter::danling::ScalarValues{{"acc", 0.75}, {"mae", mae1}});

  const torch::Tensor logits2 = torch::tensor({-1.0, 2.0, -3.0, -1.0, 2.0, -1.0});
  const torch::Tensor target2 = torch::tensor({0, 1, 1, 0, 0, 1});
  metrics.update(logits2, target2);
  CHECK(preprocess_calls == 2);
  const double mae2 = mean_abs_error(logits2.sigmoid(), target2);
  CHECK(metrics.val().at("acc") == 0.5);
  CHECK(metrics.avg().at("acc") == 0.6);
  CHECK(metrics.avg().at("mae") == Approx((mae1 * 4 + mae2 * 6) / 10));
  CHECK(metrics.bat().at("acc") == 0.5);
  CHECK(metrics.count() == std::map<std::string, int64_t>{{"acc", 10}, {"mae", 10}});
  CHECK(metrics.sum().at("acc") == 6.0);
  CHECK(metrics["acc"].count() == 10);
  CHECK_THROWS_WITH(metrics["f1"], Contains("no meter named 'f1'") && Contains("acc, mae"));
  CHECK(metrics.format(1).rfind("acc: 0.5 (0.6)\tmae: ", 0) == 0);

  metrics.add("mae2", mean_abs_error);
  metrics.update(logits, torch::tensor({0, 1, 0, 0}), 2);
  CHECK(preprocess_calls == 3);
  CHECK(metrics.count() == std::map<std::string, int64_t>{{"acc", 12}, {"mae", 12}, {"mae2", 2}});

  metrics.reset();
  CHECK(std::isnan(metrics.avg().at("acc")));
  CHECK(metrics.size() == 3);
}

namespace {
// Rank 0 of two, where the other rank's meter holds sum 10 over count 2.
class OtherRankHolds : public lighter::internal::Collectives {
 public:
  OtherRankHolds() { lighter::internal::set_collectives(this); }
  ~OtherRankHolds() override { lighter::internal::set_collectives(nullptr); }
  int64_t rank() const override { return 0; }
  int64_t size() const override { return 2; }
  void all_reduce(torch::Tensor& tensor, lighter::dist::ReduceOp) override {
    tensor.add_(torch::tensor({10.0, 2.0}, tensor.options()));
  }
  torch::Tensor all_gather_cat(const torch::Tensor& tensor) override { return tensor; }
  void barrier() override {}
};
}  // namespace

TEST_CASE("AverageMeter without a reducer all-reduces over the run's ranks") {
  lighter::danling::AverageMeter meter;
  meter.update(2.0, 2);
  CHECK(meter.avg() == Approx(2.0));
  OtherRankHolds ranks;
  CHECK(meter.avg() == Approx((4.0 + 10.0) / (2 + 2)));
  CHECK(meter.bat() == Approx((4.0 + 10.0) / (2 + 2)));
  CHECK(meter.val() == 2.0);  // val stays this rank's own
}
