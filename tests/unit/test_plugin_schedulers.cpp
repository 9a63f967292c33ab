// The torch.optim.lr_scheduler components: learning-rate sequences equal PyTorch 1.13's bit for
// bit (expected values printed by Python's schedulers driving SGD(lr=0.1, momentum=0.9) or
// Adam(lr=0.1), first value after construction then one per step()), and checkpoints resume them.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include "support/python_reference.hpp"

#include <catch2/catch.hpp>
#include <lighter/sdk.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using lighter::Dict;
using lighter::ParamError;
using lighter::Scheduler;
using lighter::Value;
using Array = lighter::Value::Array;

namespace {
const std::vector<double> kStepLR = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.00625, 0.00625, 0.00625, 0.003125, 0.003125, 0.003125, 0.0015625, 0.0015625, 0.0015625};
const std::vector<double> kMultiStepLR = {0.1, 0.1, 0.03, 0.03, 0.03, 0.0026999999999999997, 0.0026999999999999997, 0.0026999999999999997, 0.0026999999999999997, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998};
const std::vector<double> kExponentialLR = {0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024, 0.03874204890000002, 0.03486784401000002, 0.03138105960900001, 0.028242953648100012, 0.025418658283290013, 0.022876792454961013, 0.020589113209464913, 0.01853020188851842, 0.01667718169966658, 0.015009463529699923, 0.013508517176729932, 0.01215766545905694};
const std::vector<double> kCosineAnnealingLR = {0.1, 0.09397114317029975, 0.07750000000000001, 0.055000000000000014, 0.032500000000000015, 0.01602885682970026, 0.01, 0.01602885682970026, 0.03250000000000001, 0.05500000000000004, 0.07750000000000007, 0.09397114317029981, 0.10000000000000009, 0.09397114317029982, 0.0775000000000001, 0.055000000000000104, 0.032500000000000064, 0.01602885682970026, 0.01, 0.01602885682970026, 0.0325000000000001};
const std::vector<double> kOneCycleLR = {0.040000000000000036, 0.1316718427000253, 0.3716718427000253, 0.6683281572999747, 0.9083281572999747, 1.0, 0.9874640062350873, 0.9504846320134737, 0.89091617757105, 0.8117456539497631, 0.7169430017913008, 0.6112620219362893, 0.500002, 0.38874197806371075, 0.28306099820869923, 0.18825834605023697, 0.10908782242895004, 0.049519367986526286, 0.012539993764912554, 4e-06, 0.012539993764912554};
const std::vector<double> kOneCycleMomentum = {0.95, 0.9404508497187474, 0.9154508497187474, 0.8845491502812526, 0.8595491502812526, 0.85, 0.8512536043909088, 0.854951556604879, 0.8609084258765984, 0.8688255099070633, 0.878305813044122, 0.8888739533021842, 0.8999999999999999, 0.9111260466978157, 0.9216941869558779, 0.9311744900929366, 0.9390915741234015, 0.945048443395121, 0.9487463956090911, 0.95, 0.9487463956090911};
const std::vector<double> kOneCycleLinearThreePhase = {0.02, 0.13999999999999999, 0.26, 0.38, 0.5, 0.38, 0.26, 0.14, 0.020000000000000018, 0.018182, 0.016364, 0.014546, 0.012728, 0.01091, 0.009092, 0.007273999999999999, 0.005455999999999999, 0.003637999999999999, 0.0018199999999999987, 1.9999999999985307e-06, -0.0018160000000000016};
const std::vector<double> kOneCycleLinearBeta1 = {0.95, 0.9249999999999999, 0.8999999999999999, 0.875, 0.85, 0.875, 0.8999999999999999, 0.9249999999999999, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95};
const std::vector<double> kPlateauMetrics = {1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85};
const std::vector<double> kPlateau = {0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02};
const std::vector<double> kPlateauMaxAbs = {0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.00625, 0.00625, 0.003125, 0.003125, 0.0015625, 0.0015625, 0.00078125, 0.00078125, 0.000390625, 0.000390625, 0.0001953125, 0.0001953125};

const lighter::test::PluginHarness& optim() { return lighter::test::plugin(LIGHTER_PLUGIN_TORCH_OPTIM); }

// An optimizer with its parameters (the optimizer keeps handles to them).
struct Setup {
  std::vector<torch::Tensor> params = {torch::zeros({2}, torch::requires_grad())};
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  explicit Setup(bool adam = false) {
    if (adam) optimizer = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(0.1));
    else optimizer = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(0.1).momentum(0.9));
  }
  double lr() const { return optimizer->param_groups()[0].options().get_lr(); }
  double momentum() const {
    auto& options = optimizer->param_groups()[0].options();
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) return sgd->momentum();
    return std::get<0>(static_cast<torch::optim::AdamOptions&>(options).betas());
  }
};

std::shared_ptr<Scheduler> make(const std::string& name, Value::Table values,
                                lighter::test::Objects objects = {}) {
  return optim().make<Scheduler>("torch.optim.lr_scheduler." + name, std::move(values), std::move(objects));
}

// A SequentialLR over the given children (schedulers the test made with make()).
std::shared_ptr<Scheduler> sequential(std::vector<std::shared_ptr<Scheduler>> children, Array milestones,
                                      Value::Table values = {}, lighter::test::Objects objects = {}) {
  values.emplace_back("milestones", Value(std::move(milestones)));
  return optim().make<Scheduler>("torch.optim.lr_scheduler.SequentialLR", std::move(values), std::move(objects),
                                 {{"schedulers", std::vector<lighter::ObjectPtr>(children.begin(), children.end())}});
}

struct Run {
  std::vector<double> lrs, momenta;
};

// The lr after attach, then after each of `steps` steps (metrics feed the plateau schedule).
Run run(Scheduler& scheduler, Setup& setup, size_t steps, const std::vector<double>& metrics = {},
        int64_t total_steps = 0) {
  Run out;
  scheduler.attach(*setup.optimizer, total_steps);
  out.lrs.push_back(setup.lr());
  out.momenta.push_back(setup.momentum());
  for (size_t i = 0; i < steps; ++i) {
    scheduler.step(metrics.empty() ? std::nullopt : std::optional<double>(metrics[i]));
    out.lrs.push_back(setup.lr());
    out.momenta.push_back(setup.momentum());
  }
  return out;
}

void check_exactly(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("value " << i << ": " << actual[i] << " vs PyTorch " << expected[i]);
    CHECK(actual[i] == expected[i]);
  }
}

void check_sequence(const std::string& name, Value::Table values, const std::vector<double>& expected,
                    const std::vector<double>& metrics = {}) {
  INFO(name);
  Setup setup;
  check_exactly(run(*make(name, std::move(values)), setup, expected.size() - 1, metrics).lrs, expected);
}

Dict through_pickle(const Dict& state) {
  return Dict::from_ivalue(torch::pickle_load(torch::pickle_save(state.to_ivalue())));
}
}  // namespace

TEST_CASE("schedules follow PyTorch's learning rates exactly", "[plugin][schedulers]") {
  check_sequence("StepLR", {{"step_size", 3}, {"gamma", 0.5}}, kStepLR);
  check_sequence("MultiStepLR", {{"milestones", Array{2, 5, 5, 9}}, {"gamma", 0.3}}, kMultiStepLR);
  check_sequence("ExponentialLR", {{"gamma", 0.9}}, kExponentialLR);
  check_sequence("CosineAnnealingLR", {{"T_max", 6}, {"eta_min", 0.01}}, kCosineAnnealingLR);
  check_sequence("OneCycleLR", {{"max_lr", 1.0}, {"total_steps", 20}}, kOneCycleLR);
}

TEST_CASE("OneCycleLR cycles momentum and beta1, in two or three phases", "[plugin][schedulers]") {
  Setup sgd;
  auto cos = run(*make("OneCycleLR", {{"max_lr", 1.0}, {"total_steps", 20}}), sgd, 20);
  check_exactly(cos.momenta, kOneCycleMomentum);

  Setup adam(true);
  auto linear = run(*make("OneCycleLR", {{"max_lr", 0.5}, {"epochs", 4}, {"steps_per_epoch", 5},
                                         {"anneal_strategy", "linear"}, {"three_phase", true}, {"pct_start", 0.25}}),
                    adam, 20);
  check_exactly(linear.lrs, kOneCycleLinearThreePhase);
  check_exactly(linear.momenta, kOneCycleLinearBeta1);
}

TEST_CASE("OneCycleLR takes the trainer's estimated total steps and stops past them", "[plugin][schedulers]") {
  auto one_cycle = make("OneCycleLR", {{"max_lr", 1.0}});
  CHECK(one_cycle->interval() == "step");
  Setup setup;
  check_exactly(run(*one_cycle, setup, 20, {}, /*total_steps=*/20).lrs, kOneCycleLR);
  CHECK_THROWS_WITH(one_cycle->step(std::nullopt), Catch::Contains("tried to step 22 times") && Catch::Contains("20"));

  Setup unknown;
  CHECK_THROWS_WITH(make("OneCycleLR", {{"max_lr", 1.0}})->attach(*unknown.optimizer, 0), Catch::Contains("total_steps"));
  CHECK_THROWS_AS(make("OneCycleLR", {{"max_lr", 1.0}, {"epochs", 3}}), ParamError);
  torch::optim::Adagrad adagrad(unknown.params, torch::optim::AdagradOptions(0.1));
  CHECK_THROWS_WITH(make("OneCycleLR", {{"max_lr", 1.0}, {"total_steps", 5}})->attach(adagrad, 0),
                    Catch::Contains("cycle_momentum"));
  CHECK_NOTHROW(make("OneCycleLR", {{"max_lr", 1.0}, {"total_steps", 5}, {"cycle_momentum", false}})->attach(adagrad, 0));
}

TEST_CASE("ReduceLROnPlateau honours patience, cooldown, min_lr and modes", "[plugin][schedulers]") {
  check_sequence("ReduceLROnPlateau",
                 {{"monitor", "val/loss/epoch"}, {"factor", 0.5}, {"patience", 2}, {"cooldown", 1}, {"min_lr", 0.02}},
                 kPlateau, kPlateauMetrics);
  check_sequence("ReduceLROnPlateau",
                 {{"monitor", "val/acc/epoch"}, {"mode", "max"}, {"threshold_mode", "abs"}, {"threshold", 0.1},
                  {"factor", 0.5}, {"patience", 1}},
                 kPlateauMaxAbs, kPlateauMetrics);
}

TEST_CASE("ReduceLROnPlateau names the monitored key it did not get", "[plugin][schedulers]") {
  auto plateau = make("ReduceLROnPlateau", {{"monitor", "val/loss/epoch"}});
  CHECK(plateau->monitor() == "val/loss/epoch");
  CHECK(make("StepLR", {{"step_size", 1}})->monitor().empty());
  Setup setup;
  plateau->attach(*setup.optimizer, 0);
  CHECK_THROWS_WITH(plateau->step(std::nullopt), Catch::Contains("'val/loss/epoch'") && Catch::Contains("not available"));
  CHECK_THROWS_AS(make("ReduceLROnPlateau", {}), ParamError);  // monitor is required
  CHECK_THROWS_WITH(make("ReduceLROnPlateau", {{"monitor", "m"}, {"factor", 1.0}}), Catch::Contains("factor"));
}

TEST_CASE("interval and frequency", "[plugin][schedulers]") {
  CHECK(make("StepLR", {{"step_size", 1}})->interval() == "epoch");
  CHECK(make("StepLR", {{"step_size", 1}, {"interval", "step"}})->interval() == "step");
  CHECK_THROWS_AS(make("StepLR", {{"step_size", 1}, {"interval", "batch"}}), ParamError);
  CHECK_THROWS_AS(make("StepLR", {{"step_size", 1}, {"frequency", 0}}), ParamError);
  Setup setup;  // frequency 2: only every second call steps
  check_exactly(run(*make("StepLR", {{"step_size", 1}, {"gamma", 0.5}, {"frequency", 2}}), setup, 5).lrs,
                {0.1, 0.1, 0.05, 0.05, 0.025, 0.025});
}

TEST_CASE("scheduler checkpoints use Python's keys", "[plugin][schedulers][checkpoint]") {
  Setup setup;
  auto step_lr = make("StepLR", {{"step_size", 3}});
  run(*step_lr, setup, 2);
  Dict state = step_lr->state_dict();
  for (const char* key : {"step_size", "gamma", "base_lrs", "last_epoch", "_step_count", "_last_lr"}) {
    INFO(key);
    CHECK(state.contains(key));
  }
  CHECK(state.at("last_epoch").toInt() == 2);
  CHECK(state.at("_step_count").toInt() == 3);
  CHECK(state.at("base_lrs").toListRef()[0].toDouble() == 0.1);

  Setup plateau_setup;
  auto plateau = make("ReduceLROnPlateau", {{"monitor", "m"}});
  run(*plateau, plateau_setup, 1, {0.5});
  Dict plateau_state = plateau->state_dict();
  for (const char* key : {"factor", "min_lrs", "patience", "cooldown", "cooldown_counter", "mode", "threshold",
                          "threshold_mode", "best", "num_bad_epochs", "mode_worse", "eps", "last_epoch"}) {
    INFO(key);
    CHECK(plateau_state.contains(key));
  }
  CHECK(plateau_state.at("best").toDouble() == 0.5);
}

TEST_CASE("a resumed schedule continues exactly", "[plugin][schedulers][checkpoint]") {
  struct Case {
    std::string name;
    Value::Table values;
    std::vector<double> metrics;
  };
  const std::vector<Case> cases = {
      {"StepLR", {{"step_size", 3}, {"gamma", 0.5}, {"frequency", 2}}, {}},
      {"MultiStepLR", {{"milestones", Array{2, 5, 5, 9}}, {"gamma", 0.3}}, {}},
      {"ExponentialLR", {{"gamma", 0.9}}, {}},
      {"CosineAnnealingLR", {{"T_max", 6}, {"eta_min", 0.01}}, {}},
      {"OneCycleLR", {{"max_lr", 1.0}, {"total_steps", 20}}, {}},
      {"ReduceLROnPlateau", {{"monitor", "m"}, {"factor", 0.5}, {"patience", 2}, {"cooldown", 1}}, kPlateauMetrics},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto metric = [&](size_t i) { return c.metrics.empty() ? std::nullopt : std::optional<double>(c.metrics[i]); };
    Setup whole;
    auto uninterrupted = make(c.name, c.values);
    uninterrupted->attach(*whole.optimizer, 0);
    for (size_t i = 0; i < 7; ++i) uninterrupted->step(metric(i));
    Dict saved = through_pickle(uninterrupted->state_dict());

    // A fresh run: attach, then the optimizer's checkpoint (its lr and momentum), then the schedule's.
    Setup resumed_setup;
    auto resumed = make(c.name, c.values);
    resumed->attach(*resumed_setup.optimizer, 0);
    resumed_setup.optimizer->param_groups()[0].options().set_lr(whole.lr());
    static_cast<torch::optim::SGDOptions&>(resumed_setup.optimizer->param_groups()[0].options()).momentum(whole.momentum());
    resumed->load_state_dict(saved);

    for (size_t i = 7; i < 20; ++i) {
      uninterrupted->step(metric(i));
      resumed->step(metric(i));
      INFO("step " << i);
      CHECK(resumed_setup.lr() == whole.lr());
      CHECK(resumed_setup.momentum() == whole.momentum());
    }
  }
}

namespace {
using lighter::test::python_numbers;

std::string exact(double x) {
  std::ostringstream out;
  out.precision(17);
  out << x;
  return out.str();
}

// Python lines: PyTorch's SGD(lr=0.1, momentum=0.9) as `opt`, warnings (step(0), steps before
// optimizer.step()) silenced so only numbers are printed.
const char* const kTorchPrelude =
    "import warnings, torch\n"
    "warnings.filterwarnings(\"ignore\")\n"
    "from torch.optim.lr_scheduler import *\n"
    "opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)\n";

// Python lines: step `s` that many times, appending the lr to `out` after each, then print `out`.
std::string torch_steps(size_t steps) {
  return "for _ in range(" + std::to_string(steps) +
         "):\n"
         "    opt.step()\n"
         "    s.step()\n"
         "    out.append(opt.param_groups[0][\"lr\"])\n"
         "print(*map(repr, out))\n";
}

// PyTorch's lr after `construct` (a Python expression over `opt`), then after each of `steps` steps.
std::optional<std::vector<double>> torch_lrs(const std::string& construct, size_t steps) {
  return python_numbers(std::string(kTorchPrelude) + "s = " + construct + "\nout = [opt.param_groups[0][\"lr\"]]\n" +
                        torch_steps(steps));
}

void check_against_torch(const std::shared_ptr<Scheduler>& scheduler, const std::string& construct, size_t steps) {
  INFO(construct);
  const auto expected = torch_lrs(construct, steps);
  if (!expected) return;
  Setup setup;
  check_exactly(run(*scheduler, setup, steps).lrs, *expected);
}

// LinearLR warmup over 3 epochs, then cosine annealing: the warmup Lighter configs write.
const char* const kWarmupCosine =
    "SequentialLR(opt, [LinearLR(opt, start_factor=0.1, total_iters=3), CosineAnnealingLR(opt, T_max=6, "
    "eta_min=0.001)], milestones=[3])";
std::shared_ptr<Scheduler> warmup_cosine() {
  return sequential({make("LinearLR", {{"start_factor", 0.1}, {"total_iters", 3}}),
                     make("CosineAnnealingLR", {{"T_max", 6}, {"eta_min", 0.001}})},
                    Array{3});
}

// Every child type that has a closed form takes over at a milestone (Python's step(0)).
const char* const kFourStages =
    "SequentialLR(opt, [ExponentialLR(opt, gamma=0.9), MultiStepLR(opt, milestones=[1, 3], gamma=0.5), "
    "LinearLR(opt, start_factor=0.5, total_iters=2), CosineAnnealingLR(opt, T_max=4)], milestones=[2, 6, 9])";
std::shared_ptr<Scheduler> four_stages() {
  return sequential({make("ExponentialLR", {{"gamma", 0.9}}),
                     make("MultiStepLR", {{"milestones", Array{1, 3}}, {"gamma", 0.5}}),
                     make("LinearLR", {{"start_factor", 0.5}, {"total_iters", 2}}), make("CosineAnnealingLR", {{"T_max", 4}})},
                    Array{2, 6, 9});
}

const char* const kWithRestarts =
    "SequentialLR(opt, [LinearLR(opt, start_factor=0.5, total_iters=2), CosineAnnealingWarmRestarts(opt, T_0=3, "
    "T_mult=2), StepLR(opt, step_size=2, gamma=0.5)], milestones=[2, 9])";
std::shared_ptr<Scheduler> with_restarts() {
  return sequential({make("LinearLR", {{"start_factor", 0.5}, {"total_iters", 2}}),
                     make("CosineAnnealingWarmRestarts", {{"T_0", 3}, {"T_mult", 2}}),
                     make("StepLR", {{"step_size", 2}, {"gamma", 0.5}})},
                    Array{2, 9});
}

}  // namespace

TEST_CASE("LinearLR and CosineAnnealingWarmRestarts follow PyTorch's learning rates", "[plugin][schedulers][python]") {
  check_against_torch(make("LinearLR", {}), "LinearLR(opt)", 8);
  check_against_torch(make("LinearLR", {{"start_factor", 0.25}, {"end_factor", 0.5}, {"total_iters", 4}}),
                      "LinearLR(opt, start_factor=0.25, end_factor=0.5, total_iters=4)", 8);
  check_against_torch(make("LinearLR", {{"start_factor", 1.0}, {"end_factor", 0.0}, {"total_iters", 3}}),
                      "LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=3)", 6);
  // T_i = 3, 6, 12: restarts after steps 3, 9 and 21.
  check_against_torch(make("CosineAnnealingWarmRestarts", {{"T_0", 3}, {"T_mult", 2}, {"eta_min", 0.01}}),
                      "CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01)", 25);
  check_against_torch(make("CosineAnnealingWarmRestarts", {{"T_0", 4}}), "CosineAnnealingWarmRestarts(opt, T_0=4)", 10);
}

TEST_CASE("SequentialLR switches schedulers at the milestones as PyTorch does", "[plugin][schedulers][python]") {
  check_against_torch(warmup_cosine(), kWarmupCosine, 15);
  check_against_torch(four_stages(), kFourStages, 14);
  check_against_torch(with_restarts(), kWithRestarts, 16);

  SECTION("its children keep PyTorch's bookkeeping (last_epoch, _step_count, _last_lr)") {
    for (size_t steps : {0, 1, 2, 5, 10}) {
      INFO("after " << steps << " steps");
      const auto expected = python_numbers(
          std::string(kTorchPrelude) + "s = " + kWithRestarts + "\nfor _ in range(" + std::to_string(steps) +
          "):\n    opt.step()\n    s.step()\n"
          "c = s._schedulers\n"
          "print(*map(repr, [s.last_epoch] + [x.last_epoch for x in c] + [x._step_count for x in c] + s._last_lr + "
          "[x._last_lr[0] for x in c] + [x.base_lrs[0] for x in c] + [c[1].T_cur, c[1].T_i]))\n");
      if (!expected) return;
      Setup setup;
      auto scheduler = with_restarts();
      run(*scheduler, setup, steps);
      const Dict state = scheduler->state_dict();
      std::vector<Dict> children;
      for (const auto& child : state.at("_schedulers").toListRef()) children.push_back(Dict::from_ivalue(child));
      std::vector<double> actual = {static_cast<double>(state.at("last_epoch").toInt())};
      for (const char* key : {"last_epoch", "_step_count"})
        for (const Dict& child : children) actual.push_back(static_cast<double>(child.at(key).toInt()));
      actual.push_back(state.at("_last_lr").toListRef()[0].toDouble());
      for (const char* key : {"_last_lr", "base_lrs"})
        for (const Dict& child : children) actual.push_back(child.at(key).toListRef()[0].toDouble());
      actual.push_back(static_cast<double>(children[1].at("T_cur").toInt()));
      actual.push_back(static_cast<double>(children[1].at("T_i").toInt()));
      check_exactly(actual, *expected);
    }
  }
}

TEST_CASE("SequentialLR checkpoints: Python's layout, exact resume, PyTorch continues them",
          "[plugin][schedulers][checkpoint][python]") {
  Setup setup;
  auto scheduler = warmup_cosine();
  run(*scheduler, setup, 4);
  const Dict state = scheduler->state_dict();
  CHECK(state.keys() == std::vector<std::string>{"_milestones", "last_epoch", "_last_lr", "_schedulers",
                                                 "_lighter_interval_calls"});
  const auto& children = state.at("_schedulers").toListRef();
  REQUIRE(children.size() == 2);
  const Dict linear = Dict::from_ivalue(children[0]);
  for (const char* key : {"start_factor", "end_factor", "total_iters", "base_lrs", "last_epoch", "_step_count", "_last_lr"}) {
    INFO(key);
    CHECK(linear.contains(key));
  }
  CHECK_FALSE(linear.contains("_lighter_interval_calls"));  // the SequentialLR counts the intervals
  CHECK(Dict::from_ivalue(children[1]).contains("T_max"));

  const auto path = std::filesystem::temp_directory_path() / ("lighter_sequential_" + std::to_string(getpid()) + ".pt");
  for (size_t cut : {2, 5}) {
    INFO("saved after " << cut << " steps");
    Setup whole;
    auto uninterrupted = warmup_cosine();
    uninterrupted->attach(*whole.optimizer, 0);
    for (size_t i = 0; i < cut; ++i) uninterrupted->step(std::nullopt);
    const auto bytes = torch::pickle_save(uninterrupted->state_dict().to_ivalue());
    const double lr_at_cut = whole.lr();

    Setup resumed_setup;  // attach, then the optimizer's lr from its checkpoint, then the schedule's state
    auto resumed = warmup_cosine();
    resumed->attach(*resumed_setup.optimizer, 0);
    resumed_setup.optimizer->param_groups()[0].options().set_lr(lr_at_cut);
    resumed->load_state_dict(through_pickle(uninterrupted->state_dict()));
    std::vector<double> continued;
    for (size_t i = cut; i < 12; ++i) {
      uninterrupted->step(std::nullopt);
      resumed->step(std::nullopt);
      INFO("step " << i);
      CHECK(resumed_setup.lr() == whole.lr());
      continued.push_back(whole.lr());
    }

    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const auto expected = python_numbers(std::string(kTorchPrelude) + "s = " + kWarmupCosine +
                                         "\ns.load_state_dict(torch.load(\"" + path.string() +
                                         "\"))\nopt.param_groups[0][\"lr\"] = " + exact(lr_at_cut) + "\nout = []\n" +
                                         torch_steps(12 - cut));
    std::filesystem::remove(path);
    if (expected) check_exactly(continued, *expected);
  }
}

TEST_CASE("LinearLR and CosineAnnealingWarmRestarts resume exactly", "[plugin][schedulers][checkpoint]") {
  for (const auto& [name, values] : std::vector<std::pair<std::string, Value::Table>>{
           {"LinearLR", {{"start_factor", 0.25}, {"total_iters", 9}}},
           {"CosineAnnealingWarmRestarts", {{"T_0", 2}, {"T_mult", 2}, {"eta_min", 0.01}}}}) {
    INFO(name);
    Setup whole, resumed_setup;
    auto uninterrupted = make(name, values), resumed = make(name, values);
    uninterrupted->attach(*whole.optimizer, 0);
    for (int i = 0; i < 5; ++i) uninterrupted->step(std::nullopt);
    resumed->attach(*resumed_setup.optimizer, 0);
    resumed_setup.optimizer->param_groups()[0].options().set_lr(whole.lr());
    resumed->load_state_dict(through_pickle(uninterrupted->state_dict()));
    for (int i = 5; i < 16; ++i) {
      uninterrupted->step(std::nullopt);
      resumed->step(std::nullopt);
      INFO("step " << i);
      CHECK(resumed_setup.lr() == whole.lr());
    }
  }
}

TEST_CASE("LinearLR, CosineAnnealingWarmRestarts and SequentialLR check their parameters", "[plugin][schedulers]") {
  using Catch::Contains;
  CHECK_THROWS_AS(make("CosineAnnealingWarmRestarts", {}), ParamError);  // T_0 is required
  CHECK_THROWS_WITH(make("CosineAnnealingWarmRestarts", {{"T_0", 0}}), Contains("T_0") && Contains(">= 1"));
  CHECK_THROWS_WITH(make("CosineAnnealingWarmRestarts", {{"T_0", -2}}), Contains("T_0"));
  CHECK_THROWS_WITH(make("CosineAnnealingWarmRestarts", {{"T_0", 2}, {"T_mult", 0}}), Contains("T_mult") && Contains(">= 1"));
  CHECK_THROWS_AS(make("CosineAnnealingWarmRestarts", {{"T_0", 2}, {"T_mult", 1.5}}), ParamError);
  CHECK_THROWS_WITH(make("LinearLR", {{"start_factor", 0.0}}), Contains("start_factor") && Contains("(0, 1]"));
  CHECK_THROWS_WITH(make("LinearLR", {{"start_factor", 1.5}}), Contains("start_factor"));
  CHECK_NOTHROW(make("LinearLR", {{"start_factor", 1.0}, {"end_factor", 0.0}}));
  CHECK_THROWS_WITH(make("LinearLR", {{"end_factor", -0.1}}), Contains("end_factor") && Contains("[0, 1]"));
  CHECK_THROWS_WITH(make("LinearLR", {{"end_factor", 1.1}}), Contains("end_factor"));
  CHECK_THROWS_WITH(make("LinearLR", {{"total_iters", 0}}), Contains("total_iters"));
  CHECK_THROWS_WITH(make("LinearLR", {{"last_epoch", 4}}), Contains("last_epoch") && Contains("checkpoint"));
  CHECK_NOTHROW(make("StepLR", {{"step_size", 2}, {"last_epoch", -1}}));

  auto linear = [] { return make("LinearLR", {}); };
  auto cosine = [] { return make("CosineAnnealingLR", {{"T_max", 5}}); };
  CHECK_THROWS_WITH(sequential({linear(), cosine()}, Array{}), Contains("milestones") && Contains("one milestone fewer"));
  CHECK_THROWS_WITH(sequential({linear(), cosine()}, Array{2, 4}), Contains("milestones"));
  CHECK_THROWS_WITH(sequential({}, Array{}), Contains("schedulers") && Contains("non-empty"));
  CHECK_THROWS_WITH(sequential({linear(), cosine(), linear()}, Array{5, 3}), Contains("milestones") && Contains("increasing"));
  CHECK_THROWS_WITH(sequential({linear(), cosine(), linear()}, Array{3, 3}), Contains("increasing"));
  CHECK_THROWS_WITH(sequential({linear(), cosine()}, Array{0}), Contains("increasing"));
  CHECK_THROWS_WITH(sequential({linear(), cosine()}, Array{3}, {{"last_epoch", 2}}), Contains("last_epoch"));
  CHECK_THROWS_WITH(sequential({linear(), make("ReduceLROnPlateau", {{"monitor", "m"}})}, Array{3}),
                    Contains("schedulers::1") && Contains("cannot run inside SequentialLR"));
  CHECK_THROWS_WITH(sequential({linear(), make("StepLR", {{"step_size", 1}, {"frequency", 2}})}, Array{3}),
                    Contains("schedulers::1") && Contains("frequency"));

  SECTION("children share the SequentialLR's optimizer and are stepped by it alone") {
    // A scheduler's `optimizer = "@model::optimizer"` is checked and dropped by the host's builder
    // (tests/e2e/test_ports.cpp): every scheduler, built-in or not, gets the model's optimizer.
    auto child = linear();
    auto parent = sequential({child, cosine()}, Array{3});
    CHECK_THROWS_WITH(sequential({child, cosine()}, Array{3}), Contains("schedulers::0") && Contains("already"));
    auto twice = linear();
    CHECK_THROWS_WITH(sequential({twice, twice}, Array{3}), Contains("schedulers::1") && Contains("already"));
    Setup setup;
    CHECK_THROWS_WITH(child->attach(*setup.optimizer, 0), Contains("one of the schedulers of"));
    parent->attach(*setup.optimizer, 0);
    CHECK_THROWS_WITH(child->step(std::nullopt), Contains("one of the schedulers of"));
    CHECK(setup.lr() == 0.1 * (1.0 / 3));  // the parent's initial step, not undone by the refused ones
  }
}
