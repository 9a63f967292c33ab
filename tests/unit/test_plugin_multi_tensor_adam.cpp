// torch.optim.Adam / AdamW with `foreach` and `fused`: a foreach step is libtorch's loop bit for
// bit on the CPU and Python's torch.optim(foreach=True) too; fused (LibTorch 2.x) stays within
// float rounding of the loop; checkpoints move between the implementations; the keys' errors.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/module.hpp>
#include <lighter/optim.hpp>
#include <lighter/torch_compat.hpp>

#include "support/python_reference.hpp"

using lighter::Optimizer;
using lighter::Value;
using Array = lighter::Value::Array;
using Catch::Contains;

namespace {
const lighter::test::PluginHarness& optim() { return lighter::test::plugin(LIGHTER_PLUGIN_TORCH_OPTIM); }

std::vector<torch::Tensor> start() {
  return {torch::tensor({0.5f, -1.5f, 2.0f}).set_requires_grad(true),
          torch::tensor({{1.0f, -0.25f}, {0.75f, 3.0f}}).set_requires_grad(true),
          torch::tensor({0.1f, -0.2f}).set_requires_grad(true)};
}

// The loss the Python script below repeats. The third parameter has a gradient on even steps
// only, so the parameters' step counts (and bias corrections) differ.
const char* const kPythonLoop =
    "def run(opt, p, steps):\n"
    "    for s in range(steps):\n"
    "        opt.zero_grad()\n"
    "        loss = (p[0] * p[0]).sum() + (p[1] ** 3).sum() + p[0].sum() * p[1].mean()\n"
    "        if s % 2 == 0:\n"
    "            loss = loss + (p[2] * p[2] * p[0][:2]).sum()\n"
    "        loss.backward()\n"
    "        if s % 2 == 1:\n"
    "            p[2].grad = None\n"
    "        opt.step()\n";

void run(torch::optim::Optimizer& optimizer, std::vector<torch::Tensor>& p, int steps) {
  for (int s = 0; s < steps; ++s) {
    optimizer.zero_grad();
    auto loss = (p[0] * p[0]).sum() + p[1].pow(3).sum() + p[0].sum() * p[1].mean();
    if (s % 2 == 0) loss = loss + (p[2] * p[2] * p[0].narrow(0, 0, 2)).sum();
    loss.backward();
    if (s % 2 == 1) p[2].mutable_grad() = torch::Tensor();
    optimizer.step();
  }
}

std::vector<torch::Tensor> stepped(const std::string& name, Value::Table values, int steps) {
  auto recipe = optim().make<Optimizer>(name, std::move(values));
  auto params = start();
  run(*recipe->create(params), params, steps);
  return params;
}

template <class TorchOptimizer, class Options>
std::vector<torch::Tensor> libtorch_stepped(const Options& options, int steps) {
  auto params = start();
  TorchOptimizer optimizer(params, options);
  run(optimizer, params, steps);
  return params;
}

void check_equal(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("parameter " << i << ": " << a[i] << " vs " << b[i]);
    CHECK(torch::equal(a[i], b[i]));
  }
}

void check_close(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("parameter " << i << ": " << a[i] << " vs " << b[i]);
    CHECK(torch::allclose(a[i], b[i], /*rtol=*/1e-5, /*atol=*/1e-6));
  }
}

Value::Table with(Value::Table values, const std::string& key, Value value) {
  values.emplace_back(key, std::move(value));
  return values;
}

struct Case {
  std::string name, python;  // the recipe, and the same optimizer's Python keywords
  Value::Table values;
};
const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"torch.optim.Adam", "Adam(p, lr=0.01", {{"lr", 0.01}}},
      {"torch.optim.Adam", "Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True",
       {{"lr", 0.01}, {"betas", Array{0.8, 0.99}}, {"eps", 1e-6}, {"weight_decay", 0.1}, {"amsgrad", true}}},
      {"torch.optim.AdamW", "AdamW(p, lr=0.01, weight_decay=0.2", {{"lr", 0.01}, {"weight_decay", 0.2}}},
      {"torch.optim.AdamW", "AdamW(p, lr=0.02, amsgrad=True", {{"lr", 0.02}, {"amsgrad", true}}},
  };
  return all;
}
constexpr int kSteps = 7;
}  // namespace

TEST_CASE("foreach Adam and AdamW step bit for bit like libtorch's loop on the CPU", "[plugin][torch_optim]") {
  using namespace torch::optim;
  check_equal(stepped("torch.optim.Adam", cases()[0].values, kSteps),
              libtorch_stepped<Adam>(AdamOptions(0.01), kSteps));
  for (const auto& c : cases()) {
    INFO(c.python);
    const auto loop = stepped(c.name, with(c.values, "foreach", false), kSteps);
    check_equal(stepped(c.name, with(c.values, "foreach", true), kSteps), loop);
    check_equal(stepped(c.name, c.values, kSteps), loop);  // unset on the CPU: the loop
    CHECK_FALSE(torch::equal(loop[2], start()[2]));        // every parameter moved
  }
  check_equal(stepped("torch.optim.Adam", with(cases()[1].values, "foreach", true), kSteps),
              libtorch_stepped<Adam>(AdamOptions(0.01).betas({0.8, 0.99}).eps(1e-6).weight_decay(0.1).amsgrad(true), kSteps));
  check_equal(stepped("torch.optim.AdamW", with(cases()[2].values, "foreach", true), kSteps),
              libtorch_stepped<AdamW>(AdamWOptions(0.01).weight_decay(0.2), kSteps));
}

TEST_CASE("foreach Adam and AdamW give Python's torch.optim(foreach=True) values exactly", "[plugin][torch_optim]") {
  for (const auto& c : cases()) {
    INFO(c.python);
    const auto expected = lighter::test::python_numbers(
        std::string("import torch\n") + kPythonLoop + "p = [torch.tensor(x, requires_grad=True) for x in " +
        "([0.5, -1.5, 2.0], [[1.0, -0.25], [0.75, 3.0]], [0.1, -0.2])]\n" + "run(torch.optim." + c.python +
        ", foreach=True), p, " + std::to_string(kSteps) + ")\n" +
        "print(*[repr(v) for t in p for v in t.detach().flatten().tolist()])\n");
    if (!expected) return;
    const auto ours = stepped(c.name, with(c.values, "foreach", true), kSteps);
    std::vector<float> flat;
    for (const auto& t : ours)
      for (int64_t i = 0; i < t.numel(); ++i) flat.push_back(t.detach().flatten()[i].item<float>());
    REQUIRE(flat.size() == expected->size());
    for (size_t i = 0; i < flat.size(); ++i) {
      INFO("value " << i);
      CHECK(flat[i] == static_cast<float>((*expected)[i]));
    }
  }
}

TEST_CASE("a checkpoint moves between the loop, foreach and fused implementations", "[plugin][torch_optim][checkpoint]") {
  std::vector<Value> kernels = {Value(false), Value(true)};
  std::vector<std::string> keys = {"foreach", "foreach"};
  if (lighter::compat::kHasFusedAdam) {
    kernels.push_back(Value(true));
    keys.push_back("fused");
  }
  for (const auto& c : cases())
    for (size_t from = 0; from < kernels.size(); ++from)
      for (size_t to = 0; to < kernels.size(); ++to) {
        INFO(c.python << " from " << keys[from] << "=" << kernels[from].repr() << " to " << keys[to] << "="
                      << kernels[to].repr());
        auto first = optim().make<Optimizer>(c.name, with(c.values, keys[from], kernels[from]));
        auto second = optim().make<Optimizer>(c.name, with(c.values, keys[to], kernels[to]));
        auto params = start();
        auto optimizer = first->create(params);
        run(*optimizer, params, 3);
        const lighter::Dict saved = first->state_dict(*optimizer);
        std::vector<torch::Tensor> resumed_params;
        for (const auto& p : params) resumed_params.push_back(p.detach().clone().set_requires_grad(true));
        auto resumed = second->create(resumed_params);
        second->load_state_dict(*resumed, saved);
        run(*resumed, resumed_params, 4);
        run(*optimizer, params, 4);
        if (keys[from] == "fused" || keys[to] == "fused")
          check_close(resumed_params, params);
        else
          check_equal(resumed_params, params);
        CHECK(resumed->state().size() == 3);
      }
}

TEST_CASE("fused Adam and AdamW: within float rounding of the loop (LibTorch 2.x), refused on 1.13", "[plugin][torch_optim]") {
  for (const auto& c : cases()) {
    INFO(c.python);
    if (!lighter::compat::kHasFusedAdam) {
      CHECK_THROWS_WITH(optim().build(c.name, with(c.values, "fused", true)),
                        Contains("fused") && Contains("LibTorch 2.x") && Contains("foreach = true"));
      continue;
    }
    check_close(stepped(c.name, with(c.values, "fused", true), kSteps), stepped(c.name, c.values, kSteps));
  }
}

TEST_CASE("foreach and fused: Python's rules for the two keys", "[plugin][torch_optim]") {
  CHECK_THROWS_WITH(optim().build("torch.optim.Adam", {{"foreach", true}, {"fused", true}}),
                    Contains("fused") && Contains("cannot be `True` together"));
  CHECK_THROWS_WITH(optim().build("torch.optim.AdamW", {{"foreach", 1}}), Contains("foreach"));
  CHECK_NOTHROW(optim().build("torch.optim.Adam", {{"foreach", Value()}, {"fused", false}}));
  CHECK_NOTHROW(optim().build("torch.optim.AdamW", {{"foreach", false}, {"fused", Value()}}));
}

TEST_CASE("foreach is a per-group option, as in torch.optim's param_groups", "[plugin][torch_optim]") {
  torch::manual_seed(3);
  torch::nn::Linear first(3, 4), second(4, 1);
  auto loop_first = std::dynamic_pointer_cast<torch::nn::LinearImpl>(first->clone());
  auto loop_second = std::dynamic_pointer_cast<torch::nn::LinearImpl>(second->clone());
  const Array groups = {Value::Table{{"lr", 0.1}, {"foreach", true}}, Value::Table{{"foreach", false}, {"amsgrad", true}}};
  auto recipe = optim().make<Optimizer>("torch.optim.Adam", {{"lr", 0.01}, {"params", groups}}, {},
                                        lighter::test::ObjectLists{{"params", {lighter::make_module(first), lighter::make_module(second)}}});
  auto ours = recipe->create({});
  REQUIRE(ours->param_groups().size() == 2);

  using namespace torch::optim;
  std::vector<OptimizerParamGroup> loop_groups;
  loop_groups.emplace_back(loop_first->parameters(), std::make_unique<AdamOptions>(AdamOptions(0.1)));
  loop_groups.emplace_back(loop_second->parameters(), std::make_unique<AdamOptions>(AdamOptions(0.01).amsgrad(true)));
  Adam theirs(std::move(loop_groups), AdamOptions(0.01));

  const torch::Tensor x = torch::randn({5, 3});
  for (int step = 0; step < 4; ++step) {
    ours->zero_grad();
    second->forward(torch::relu(first->forward(x))).pow(2).sum().backward();
    ours->step();
    theirs.zero_grad();
    loop_second->forward(torch::relu(loop_first->forward(x))).pow(2).sum().backward();
    theirs.step();
  }
  CHECK_FALSE(torch::equal(first->weight, first->weight.detach().clone().zero_()));
  check_equal({first->weight, first->bias, second->weight, second->bias},
              {loop_first->weight, loop_first->bias, loop_second->weight, loop_second->bias});
}
