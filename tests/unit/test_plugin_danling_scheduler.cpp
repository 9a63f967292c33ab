// danling.optim.LRScheduler: the learning rates of every method and scaling for lr 1.0 and 0.1
// over 100 steps equal the values tests/data/schedules/danling_reference.py computes from the
// rules in plain Python; defaults, errors, and a resumed schedule continuing exactly.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/sdk.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using lighter::Dict;
using lighter::ParamError;
using lighter::Scheduler;
using lighter::Value;

namespace {
std::shared_ptr<Scheduler> danling(Value::Table values) {
  return lighter::test::plugin(LIGHTER_PLUGIN_TORCH_OPTIM).make<Scheduler>("danling.optim.LRScheduler",
                                                                          std::move(values));
}

struct Optim {
  std::vector<torch::Tensor> params = {torch::zeros({2}, torch::requires_grad())};
  torch::optim::SGD sgd;
  explicit Optim(double lr) : sgd(params, torch::optim::SGDOptions(lr)) {}
  double lr() { return sgd.param_groups()[0].options().get_lr(); }
};

// The lr of optimizer steps 1..steps: attach sets step 1's, each step() the next one's.
std::vector<double> lrs(Scheduler& scheduler, double lr, size_t steps, int64_t trainer_total = 0) {
  Optim optim(lr);
  scheduler.attach(optim.sgd, trainer_total);
  std::vector<double> out{optim.lr()};
  for (size_t i = 1; i < steps; ++i) {
    scheduler.step(std::nullopt);
    out.push_back(optim.lr());
  }
  return out;
}

struct Reference {
  double lr;
  std::string method, scaling, final;
  std::vector<double> values;
};

void check_close(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("step " << i + 1 << ": " << actual[i] << " vs " << expected[i]);
    CHECK(std::abs(actual[i] - expected[i]) <= 1e-15 * std::abs(expected[i]));
  }
}

std::vector<Reference> references() {
  std::ifstream in(std::string(LIGHTER_TEST_DATA_DIR) + "/schedules/danling_lr.txt");
  std::vector<Reference> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    Reference r;
    fields >> r.lr >> r.method >> r.scaling >> r.final;
    for (double v; fields >> v;) r.values.push_back(v);
    out.push_back(r);
  }
  return out;
}
}  // namespace

TEST_CASE("danling.optim.LRScheduler matches the reference values of every method and scaling",
          "[plugin][schedulers][danling]") {
  const auto cases = references();
  REQUIRE(cases.size() == 24);
  for (const auto& c : cases) {
    INFO(c.lr << " " << c.method << " " << c.scaling << " final " << c.final);
    Value::Table values{{"total_steps", 100}, {"method", c.method}, {"scaling", c.scaling}};
    if (c.final != "ratio") values.emplace_back("final_lr", std::stod(c.final));
    check_close(lrs(*danling(values), c.lr, 101), c.values);
  }
}

TEST_CASE("danling.optim.LRScheduler defaults", "[plugin][schedulers][danling]") {
  const auto cases = references();
  SECTION("total_steps from the trainer, cosine, percentile, ratio 1e-3") {
    check_close(lrs(*danling({}), 1.0, 101, /*trainer_total=*/100), cases[0].values);
  }
  SECTION("numerical scaling when only final_lr is set") {
    check_close(lrs(*danling({{"total_steps", 100}, {"final_lr", 0.01}}), 1.0, 101),
                cases[3].values);  // 1.0 cosine numerical 0.01
  }
  SECTION("min_lr is lowered to final_lr, which the schedule then reaches") {
    const auto actual = lrs(*danling({{"total_steps", 10}, {"final_lr", 1e-12}, {"warmup_steps", 0},
                                      {"cooldown_steps", 0}, {"method", "linear"}}),
                            1.0, 11);
    CHECK(actual.back() == 1e-12);
  }
  SECTION("warmup and cooldown start and end at min_lr") {
    const auto actual = lrs(*danling({{"total_steps", 10}, {"warmup_steps", 2}, {"cooldown_steps", 2},
                                      {"method", "constant"}, {"min_lr", 0.0}}),
                            1.0, 11);
    CHECK(actual[0] == 0.5);   // s = 1: half way through the warmup
    CHECK(actual[1] == 1.0);   // s = 2: warmup over
    CHECK(actual[7] == 1.0);   // s = 8: cooldown starts after it
    CHECK(actual[8] == 0.5);   // s = 9: half way through the cooldown
    CHECK(actual[9] == 0.0);   // s = 10 = total: cooldown over
    CHECK(actual[10] == 0.0);  // s past the end
  }
}

TEST_CASE("danling.optim.LRScheduler rejects step counts that do not fit", "[plugin][schedulers][danling]") {
  CHECK_THROWS_WITH(danling({{"final_lr", 0.1}, {"final_lr_ratio", 0.1}}),
                    Catch::Contains("final_lr") && Catch::Contains("not both"));
  CHECK_THROWS_WITH(danling({{"total_steps", 0}}), Catch::Contains("total_steps") && Catch::Contains("expected > 0"));
  CHECK_THROWS_WITH(danling({{"total_steps", 10}, {"warmup_steps", -1}}),
                    Catch::Contains("warmup_steps") && Catch::Contains("[0, total_steps = 10], got -1"));
  CHECK_THROWS_WITH(danling({{"total_steps", 10}, {"cooldown_steps", 11}}),
                    Catch::Contains("cooldown_steps") && Catch::Contains("got 11"));
  CHECK_THROWS_WITH(danling({{"total_steps", 10}, {"warmup_steps", 6}, {"cooldown_steps", 5}}),
                    Catch::Contains("warmup_steps + cooldown_steps (6 + 5) exceed total_steps (10)"));
  CHECK_THROWS_AS(danling({{"method", "step"}}), ParamError);
  CHECK_THROWS_AS(danling({{"scaling", "log"}}), ParamError);
  // Without total_steps the trainer's estimate is checked when the schedule is attached.
  Optim optim(1.0);
  CHECK_THROWS_WITH(danling({})->attach(optim.sgd, 0),
                    Catch::Contains("danling.optim.LRScheduler: total_steps: expected > 0, got 0"));
  CHECK_THROWS_WITH(danling({{"warmup_steps", 30}})->attach(optim.sgd, 20),
                    Catch::Contains("warmup_steps: expected an integer in [0, total_steps = 20], got 30"));
}

TEST_CASE("a resumed danling.optim.LRScheduler continues exactly", "[plugin][schedulers][danling][checkpoint]") {
  Optim whole(0.1), resumed_optim(0.1);
  auto uninterrupted = danling({{"total_steps", 30}});
  uninterrupted->attach(whole.sgd, 0);
  for (int i = 0; i < 12; ++i) uninterrupted->step(std::nullopt);
  const Dict saved = Dict::from_ivalue(torch::pickle_load(torch::pickle_save(uninterrupted->state_dict().to_ivalue())));
  for (const char* key : {"total_steps", "warmup_steps", "cooldown_steps", "min_lr", "method", "scaling", "base_lrs",
                          "last_epoch", "_step_count"}) {
    INFO(key);
    CHECK(saved.contains(key));
  }
  auto resumed = danling({{"total_steps", 30}});
  resumed->attach(resumed_optim.sgd, 0);
  resumed_optim.sgd.param_groups()[0].options().set_lr(whole.lr());
  resumed->load_state_dict(saved);
  for (int i = 12; i < 35; ++i) {
    uninterrupted->step(std::nullopt);
    resumed->step(std::nullopt);
    INFO("step " << i);
    CHECK(resumed_optim.lr() == whole.lr());
  }
}
