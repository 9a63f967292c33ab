// The torch.optim plugin: each recipe steps exactly like the libtorch optimizer with the same
// options; `params` selects a sub-module.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/module.hpp>
#include <lighter/optim.hpp>

using lighter::Optimizer;
using lighter::ParamError;
using lighter::Value;
using Array = lighter::Value::Array;

namespace {
const lighter::test::PluginHarness& optim() { return lighter::test::plugin(LIGHTER_PLUGIN_TORCH_OPTIM); }

std::vector<torch::Tensor> fresh_params() {
  return {torch::tensor({0.5, -1.5, 2.0}).set_requires_grad(true),
          torch::tensor({{1.0, -0.25}, {0.75, 3.0}}).set_requires_grad(true)};
}

// Two steps (so momentum / running averages matter) on a fixed quadratic-ish loss.
std::vector<torch::Tensor> after_two_steps(torch::optim::Optimizer& optimizer, std::vector<torch::Tensor>& params) {
  for (int step = 0; step < 2; ++step) {
    optimizer.zero_grad();
    auto loss = (params[0] * params[0]).sum() + (params[1].pow(3)).sum() + params[0].sum() * params[1].mean();
    loss.backward();
    optimizer.step();
  }
  return {params[0].detach().clone(), params[1].detach().clone()};
}

template <class TorchOptimizer, class Options>
void check_same_steps(const std::string& name, Value::Table values, const Options& options) {
  auto recipe = optim().make<Optimizer>(name, std::move(values));
  auto ours_params = fresh_params();
  auto ours = recipe->create(ours_params);
  auto theirs_params = fresh_params();
  TorchOptimizer theirs(theirs_params, options);
  auto a = after_two_steps(*ours, ours_params), b = after_two_steps(theirs, theirs_params);
  INFO(name);
  CHECK_FALSE(torch::equal(a[0], fresh_params()[0]));  // it did move
  CHECK(torch::equal(a[0], b[0]));
  CHECK(torch::equal(a[1], b[1]));
}
}  // namespace

TEST_CASE("optimizer recipes step exactly like libtorch with the same options", "[plugin][torch_optim]") {
  using namespace torch::optim;
  check_same_steps<SGD>("torch.optim.SGD",
                        {{"lr", 0.1}, {"momentum", 0.9}, {"weight_decay", 0.01}, {"nesterov", true}},
                        SGDOptions(0.1).momentum(0.9).weight_decay(0.01).nesterov(true));
  check_same_steps<SGD>("torch.optim.SGD", {{"lr", 0.1}, {"momentum", 0.5}, {"dampening", 0.3}},
                        SGDOptions(0.1).momentum(0.5).dampening(0.3));
  check_same_steps<Adam>("torch.optim.Adam",
                         {{"lr", 0.01}, {"betas", Array{0.8, 0.99}}, {"eps", 1e-6}, {"weight_decay", 0.1}, {"amsgrad", true}},
                         AdamOptions(0.01).betas({0.8, 0.99}).eps(1e-6).weight_decay(0.1).amsgrad(true));
  check_same_steps<AdamW>("torch.optim.AdamW", {{"lr", 0.01}, {"weight_decay", 0.2}},
                          AdamWOptions(0.01).weight_decay(0.2));
  check_same_steps<RMSprop>("torch.optim.RMSprop",
                            {{"lr", 0.01}, {"alpha", 0.9}, {"momentum", 0.5}, {"centered", true}, {"weight_decay", 0.1}},
                            RMSpropOptions(0.01).alpha(0.9).momentum(0.5).centered(true).weight_decay(0.1));
  check_same_steps<Adagrad>("torch.optim.Adagrad",
                            {{"lr", 0.1}, {"lr_decay", 0.01}, {"initial_accumulator_value", 0.5}, {"eps", 1e-8}},
                            AdagradOptions(0.1).lr_decay(0.01).initial_accumulator_value(0.5).eps(1e-8));
}

TEST_CASE("optimizer defaults mirror Python's", "[plugin][torch_optim]") {
  using namespace torch::optim;
  check_same_steps<SGD>("torch.optim.SGD", {}, SGDOptions(1e-3));
  check_same_steps<Adam>("torch.optim.Adam", {}, AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-8));
  check_same_steps<AdamW>("torch.optim.AdamW", {}, AdamWOptions(1e-3).weight_decay(1e-2));
  check_same_steps<RMSprop>("torch.optim.RMSprop", {}, RMSpropOptions(1e-2).alpha(0.99).eps(1e-8));
  check_same_steps<Adagrad>("torch.optim.Adagrad", {}, AdagradOptions(1e-2).eps(1e-10));

  auto adam = optim().make<lighter::Optimizer>("torch.optim.Adam");
  auto params = fresh_params();
  auto created = adam->create(params);
  auto& options = static_cast<AdamOptions&>(created->param_groups()[0].options());
  CHECK(options.lr() == 1e-3);
  CHECK(std::get<0>(options.betas()) == 0.9);
  CHECK(std::get<1>(options.betas()) == 0.999);
  CHECK(options.eps() == 1e-8);
  CHECK(options.weight_decay() == 0.0);
  CHECK_FALSE(options.amsgrad());
}

TEST_CASE("optimizers log under their Python class name", "[plugin][torch_optim]") {
  for (const char* name : {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad"})
    CHECK(optim().make<Optimizer>(std::string("torch.optim.") + name)->name() == name);
}

TEST_CASE("params selects the module whose parameters are optimised", "[plugin][torch_optim]") {
  CHECK(optim().make<Optimizer>("torch.optim.Adam")->params_module == nullptr);
  auto head = lighter::make_module(torch::nn::Linear(3, 2));
  auto adam = optim().make<Optimizer>("torch.optim.Adam", {}, {{"params", head}});
  CHECK(adam->params_module == head->ptr());
}

TEST_CASE("invalid optimizer settings fail at config time naming the key", "[plugin][torch_optim]") {
  CHECK_THROWS_WITH(optim().build("torch.optim.Adam", {{"lr", -1.0}}), Catch::Contains("lr"));
  CHECK_THROWS_WITH(optim().build("torch.optim.Adam", {{"betas", Array{0.9, 0.99, 0.9}}}), Catch::Contains("2 numbers"));
  CHECK_THROWS_WITH(optim().build("torch.optim.AdamW", {{"betas", Array{0.9, 1.0}}}), Catch::Contains("[0, 1)"));
  CHECK_THROWS_WITH(optim().build("torch.optim.SGD", {{"nesterov", true}}), Catch::Contains("momentum > 0"));
  CHECK_THROWS_AS(optim().build("torch.optim.SGD", {{"lrr", 0.1}}), ParamError);
}
