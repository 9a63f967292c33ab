// lighter.callbacks.Freezer through a fake trainer and a real network: which parameters freeze
// and when they unfreeze (Lighter's rules), that frozen parameters do not move under real
// optimizers (momentum and weight decay included), and the errors for bad settings and typos.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>

#include "support/fake_trainer.hpp"

using lighter::Callback;
using lighter::Dict;
using lighter::ParamError;
using lighter::Value;
using lighter::test::FakeTrainer;
using Strings = std::vector<std::string>;
using Array = Value::Array;

namespace {
std::shared_ptr<Callback> freezer(Value::Table values) {
  return lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_CALLBACKS).make<Callback>("lighter.callbacks.Freezer",
                                                                               std::move(values));
}

// A model whose module is a small network: parameters 0.weight, 0.bias, 2.weight, 2.bias.
class NetModel : public lighter::Model {
 public:
  NetModel() {
    torch::manual_seed(0);
    net_ = torch::nn::Sequential(torch::nn::Linear(4, 3), torch::nn::ReLU(), torch::nn::Linear(3, 2));
  }
  torch::nn::Module& module() override { return *net_.ptr(); }
  torch::Tensor forward(const torch::Tensor& x) { return net_->forward(x); }
  torch::Tensor param(const std::string& name) { return net_->named_parameters()[name]; }

 private:
  torch::nn::Sequential net_{nullptr};
};

Strings trainable(NetModel& model) {
  Strings out;
  for (const auto& item : model.module().named_parameters())
    if (item.value().requires_grad()) out.push_back(item.key());
  return out;
}

// Runs the Freezer's batch-start hook at (epoch, step) and returns the trainable parameters.
Strings batch_start(Callback& cb, NetModel& model, FakeTrainer& trainer, int64_t epoch, int64_t step) {
  trainer.epoch = epoch;
  trainer.step = step;
  cb.on_train_batch_start(trainer, model, Dict{}, 0);
  return trainable(model);
}

const Strings kAll{"0.weight", "0.bias", "2.weight", "2.bias"};
}  // namespace

TEST_CASE("Freezer freezes the named parameters and leaves the others trainable", "[plugin][freezer]") {
  NetModel model;
  FakeTrainer trainer;
  SECTION("names as a list") {
    auto cb = freezer({{"names", Array{"0.weight", "2.bias"}}});
    cb->setup(trainer, model, "fit");
    CHECK(batch_start(*cb, model, trainer, 0, 0) == Strings{"0.bias", "2.weight"});
    CHECK(batch_start(*cb, model, trainer, 5, 500) == Strings{"0.bias", "2.weight"});  // no limit: frozen for good
  }
  SECTION("a single name as a string, and prefixes") {
    CHECK(batch_start(*freezer({{"names", "2.bias"}}), model, trainer, 0, 0) == Strings{"0.weight", "0.bias", "2.weight"});
    CHECK(batch_start(*freezer({{"name_starts_with", "0."}}), model, trainer, 0, 0) == Strings{"2.weight", "2.bias"});
  }
  SECTION("exceptions stay trainable even when a prefix covers them") {
    auto cb = freezer({{"name_starts_with", Array{"0.", "2."}}, {"except_names", "2.bias"},
                       {"except_name_starts_with", "0.b"}});
    CHECK(batch_start(*cb, model, trainer, 0, 0) == Strings{"0.bias", "2.bias"});
  }
  SECTION("parameters frozen by hand elsewhere become trainable unless selected") {
    model.param("2.weight").set_requires_grad(false);
    CHECK(batch_start(*freezer({{"names", "0.weight"}}), model, trainer, 0, 0) == Strings{"0.bias", "2.weight", "2.bias"});
  }
}

TEST_CASE("Freezer unfreezes once the step or epoch limit is reached", "[plugin][freezer]") {
  NetModel model;
  FakeTrainer trainer;
  const Strings frozen{"0.bias", "2.weight", "2.bias"};
  SECTION("until_step = 0 never freezes") {
    auto cb = freezer({{"names", "0.weight"}, {"until_step", 0}});
    CHECK(batch_start(*cb, model, trainer, 0, 0) == kAll);
  }
  SECTION("until_step = 1: frozen for step 0 only") {
    auto cb = freezer({{"names", "0.weight"}, {"until_step", 1}});
    CHECK(batch_start(*cb, model, trainer, 0, 0) == frozen);
    CHECK(batch_start(*cb, model, trainer, 0, 1) == kAll);
    CHECK(batch_start(*cb, model, trainer, 1, 2) == kAll);
  }
  SECTION("until_epoch = 0 never freezes") {
    auto cb = freezer({{"names", "0.weight"}, {"until_epoch", 0}});
    CHECK(batch_start(*cb, model, trainer, 0, 0) == kAll);
  }
  SECTION("until_epoch = 1: frozen through epoch 0") {
    auto cb = freezer({{"names", "0.weight"}, {"until_epoch", 1}});
    CHECK(batch_start(*cb, model, trainer, 0, 0) == frozen);
    CHECK(batch_start(*cb, model, trainer, 0, 9) == frozen);
    CHECK(batch_start(*cb, model, trainer, 1, 10) == kAll);
  }
  SECTION("once unfrozen it does not touch parameters again") {
    auto cb = freezer({{"names", "0.weight"}, {"until_step", 1}});
    batch_start(*cb, model, trainer, 0, 0);
    batch_start(*cb, model, trainer, 0, 1);
    model.param("2.bias").set_requires_grad(false);  // someone else's choice stays
    CHECK(batch_start(*cb, model, trainer, 0, 2) == Strings{"0.weight", "0.bias", "2.weight"});
  }
}

namespace {
// Trains `steps` steps of a regression on fixed data, calling the Freezer before each step.
void train(NetModel& model, torch::optim::Optimizer& optimizer, Callback* cb, FakeTrainer& trainer, int steps) {
  const torch::Tensor x = torch::randn({8, 4}), y = torch::randn({8, 2});
  for (int i = 0; i < steps; ++i) {
    if (cb) cb->on_train_batch_start(trainer, model, Dict{}, i);
    torch::mse_loss(model.forward(x), y).backward();
    optimizer.step();
    optimizer.zero_grad();
    ++trainer.step;
  }
}
}  // namespace

TEST_CASE("Frozen parameters do not move under momentum or weight decay from earlier steps", "[plugin][freezer]") {
  NetModel model;
  FakeTrainer trainer;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  SECTION("SGD with momentum and weight decay") {
    optimizer = std::make_unique<torch::optim::SGD>(
        model.module().parameters(), torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(0.1));
  }
  SECTION("AdamW") {
    optimizer = std::make_unique<torch::optim::AdamW>(model.module().parameters(),
                                                      torch::optim::AdamWOptions(0.01).weight_decay(0.1));
  }
  train(model, *optimizer, nullptr, trainer, 3);  // momentum, Adam moments and gradients exist now
  const torch::Tensor frozen_before = model.param("0.weight").clone(), other_before = model.param("2.weight").clone();
  auto cb = freezer({{"names", "0.weight"}, {"until_step", 8}});
  cb->setup(trainer, model, "fit");
  train(model, *optimizer, cb.get(), trainer, 5);  // steps 3..7: frozen
  CHECK(torch::equal(model.param("0.weight"), frozen_before));
  CHECK_FALSE(torch::equal(model.param("2.weight"), other_before));
  train(model, *optimizer, cb.get(), trainer, 1);  // step 8: unfrozen again
  CHECK(model.param("0.weight").requires_grad());
  CHECK_FALSE(torch::equal(model.param("0.weight"), frozen_before));
}

TEST_CASE("Freezer rejects bad settings and names that match no parameter", "[plugin][freezer]") {
  CHECK_THROWS_WITH(freezer({}), Catch::Contains("names") &&
                                     Catch::Contains("at least one of names or name_starts_with must be set"));
  CHECK_THROWS_WITH(freezer({{"except_names", "0.bias"}}), Catch::Contains("at least one of names"));
  CHECK_THROWS_WITH(freezer({{"names", "a"}, {"until_step", 1}, {"until_epoch", 1}}),
                    Catch::Contains("only one of until_step or until_epoch can be set"));
  CHECK_THROWS_WITH(freezer({{"names", "a"}, {"until_step", -1}}), Catch::Contains("until_step") &&
                                                                       Catch::Contains("expected an integer >= 0"));
  CHECK_THROWS_AS(freezer({{"names", 3}}), ParamError);
  CHECK_THROWS_AS(freezer({{"names", Array{"a", 3}}}), ParamError);

  NetModel model;
  FakeTrainer trainer;
  auto setup = [&](Value::Table values) { freezer(std::move(values))->setup(trainer, model, "fit"); };
  CHECK_THROWS_WITH(setup({{"names", "0.wieght"}}),
                    "lighter.callbacks.Freezer: names: no parameter is named '0.wieght'; similar names: ['0.weight', '2.weight'] "
                    "(the network's parameters: ['0.weight', '0.bias', '2.weight', '2.bias'])");
  CHECK_THROWS_WITH(setup({{"name_starts_with", "encoder."}}),
                    Catch::StartsWith("lighter.callbacks.Freezer: name_starts_with: no parameter name starts with "
                                      "'encoder.' (the network's parameters: "));
  CHECK_THROWS_WITH(setup({{"names", "0.weight"}, {"except_names", Array{"2.bias", "2.bais"}}}),
                    Catch::Contains("except_names: no parameter is named '2.bais'; similar names: ['2.bias'"));
  CHECK_NOTHROW(setup({{"names", "0.weight"}, {"except_name_starts_with", "2"}}));
  // Other stages (predict with a checkpoint of another network) are not checked.
  CHECK_NOTHROW(freezer({{"names", "nothing"}})->setup(trainer, model, "predict"));
}
