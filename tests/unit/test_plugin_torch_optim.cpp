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

// ---- checkpoint state in Python's optimizer.state_dict() layout --------------------------------

namespace {
using lighter::Dict;
using GenericDict = c10::impl::GenericDict;

void train_steps(torch::optim::Optimizer& optimizer, std::vector<torch::Tensor>& params, int steps) {
  for (int step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    auto loss = (params[0] * params[0]).sum() + (params[1].pow(3)).sum() + params[0].sum() * params[1].mean();
    loss.backward();
    optimizer.step();
  }
}

std::vector<torch::Tensor> copy_of(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().set_requires_grad(true));
  return out;
}

// Through the bytes a checkpoint holds: Python's torch.load reads the same pickle.
Dict through_pickle(const Dict& state) {
  return Dict::from_ivalue(torch::pickle_load(torch::pickle_save(state.to_ivalue())));
}

const c10::IValue& entry(const GenericDict& dict, const std::string& key) {
  auto it = dict.find(c10::IValue(key));
  if (it == dict.end()) throw std::out_of_range("no key " + key);
  return it->value();
}
std::vector<std::string> keys_of(const GenericDict& dict) {
  std::vector<std::string> out;
  for (const auto& e : dict) out.push_back(e.key().toStringRef());
  return out;
}
GenericDict param_state(const Dict& state, int64_t index) {
  return state.at("state").toGenericDict().at(c10::IValue(index)).toGenericDict();
}
GenericDict group(const Dict& state, size_t index) {
  return state.at("param_groups").toListRef()[index].toGenericDict();
}

// N steps, checkpoint, a fresh optimizer restored from it, M more steps == N+M uninterrupted.
void check_resume_bit_identical(const std::string& name, Value::Table values) {
  INFO(name);
  auto recipe = optim().make<Optimizer>(name, std::move(values));
  auto params = fresh_params();
  auto optimizer = recipe->create(params);
  train_steps(*optimizer, params, 3);
  optimizer->param_groups()[0].options().set_lr(0.0123);  // as a schedule would have left it
  Dict saved = through_pickle(recipe->state_dict(*optimizer));

  auto resumed_params = copy_of(params);
  auto resumed = recipe->create(resumed_params);
  recipe->load_state_dict(*resumed, saved);
  CHECK(resumed->param_groups()[0].options().get_lr() == 0.0123);

  train_steps(*optimizer, params, 4);
  train_steps(*resumed, resumed_params, 4);
  CHECK_FALSE(torch::equal(params[0], fresh_params()[0]));
  CHECK(torch::equal(params[0], resumed_params[0]));
  CHECK(torch::equal(params[1], resumed_params[1]));
}
}  // namespace

TEST_CASE("optimizer state round-trips bit for bit through a checkpoint", "[plugin][torch_optim][checkpoint]") {
  check_resume_bit_identical("torch.optim.SGD", {{"lr", 0.05}, {"momentum", 0.9}, {"nesterov", true}});
  check_resume_bit_identical("torch.optim.Adam", {{"lr", 0.01}, {"amsgrad", true}, {"weight_decay", 0.1}});
  check_resume_bit_identical("torch.optim.AdamW", {{"lr", 0.01}, {"betas", Array{0.8, 0.95}}});
  check_resume_bit_identical("torch.optim.RMSprop", {{"lr", 0.01}, {"momentum", 0.5}, {"centered", true}});
  check_resume_bit_identical("torch.optim.Adagrad", {{"lr", 0.1}, {"lr_decay", 0.01}});
}

TEST_CASE("without the checkpoint the resumed run would differ", "[plugin][torch_optim][checkpoint]") {
  // Guards the round-trip test: a fresh Adam (no moments, step 0) takes a different path.
  auto recipe = optim().make<Optimizer>("torch.optim.Adam", {{"lr", 0.01}});
  auto params = fresh_params();
  auto optimizer = recipe->create(params);
  train_steps(*optimizer, params, 3);
  auto fresh_params_copy = copy_of(params);
  auto fresh = recipe->create(fresh_params_copy);
  train_steps(*optimizer, params, 1);
  train_steps(*fresh, fresh_params_copy, 1);
  CHECK_FALSE(torch::equal(params[0], fresh_params_copy[0]));
}

TEST_CASE("optimizer state uses Python's keys and param_groups layout", "[plugin][torch_optim][checkpoint]") {
  SECTION("Adam") {
    auto recipe = optim().make<Optimizer>("torch.optim.Adam",
                                          {{"lr", 0.01}, {"betas", Array{0.8, 0.99}}, {"eps", 1e-6}, {"amsgrad", true}});
    auto params = fresh_params();
    auto optimizer = recipe->create(params);
    train_steps(*optimizer, params, 2);
    Dict state = recipe->state_dict(*optimizer);
    CHECK(state.keys() == std::vector<std::string>{"state", "param_groups"});
    auto s = param_state(state, 1);
    CHECK(keys_of(s) == std::vector<std::string>{"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"});
    CHECK(entry(s, "step").toTensor().scalar_type() == torch::kFloat);  // like PyTorch >= 1.12
    CHECK(entry(s, "step").toTensor().dim() == 0);
    CHECK(entry(s, "step").toTensor().item<double>() == 2.0);
    CHECK(entry(s, "exp_avg").toTensor().sizes() == params[1].sizes());
    auto g = group(state, 0);
    CHECK(entry(g, "lr").toDouble() == 0.01);
    auto betas = entry(g, "betas").toTupleRef().elements();
    CHECK(betas.size() == 2);
    CHECK(betas[0].toDouble() == 0.8);
    CHECK(betas[1].toDouble() == 0.99);
    CHECK(entry(g, "eps").toDouble() == 1e-6);
    CHECK(entry(g, "amsgrad").toBool());
    CHECK(entry(g, "params").toIntVector() == std::vector<int64_t>{0, 1});
  }
  SECTION("SGD, RMSprop and Adagrad per-parameter state") {
    auto state_keys = [](const std::string& name, Value::Table values) {
      auto recipe = optim().make<Optimizer>(name, std::move(values));
      auto params = fresh_params();
      auto optimizer = recipe->create(params);
      train_steps(*optimizer, params, 1);
      return keys_of(param_state(recipe->state_dict(*optimizer), 0));
    };
    CHECK(state_keys("torch.optim.SGD", {{"momentum", 0.9}}) == std::vector<std::string>{"momentum_buffer"});
    CHECK(state_keys("torch.optim.RMSprop", {{"momentum", 0.9}, {"centered", true}}) ==
          std::vector<std::string>{"step", "square_avg", "momentum_buffer", "grad_avg"});
    CHECK(state_keys("torch.optim.RMSprop", {}) == std::vector<std::string>{"step", "square_avg"});
    CHECK(state_keys("torch.optim.Adagrad", {}) == std::vector<std::string>{"step", "sum"});
    auto sgd = optim().make<Optimizer>("torch.optim.SGD", {{"lr", 0.1}, {"dampening", 0.25}});
    auto params = fresh_params();
    auto g = group(sgd->state_dict(*sgd->create(params)), 0);
    CHECK(keys_of(g) == std::vector<std::string>{"lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize",
                                                 "foreach", "params"});
    CHECK(entry(g, "dampening").toDouble() == 0.25);
  }
  SECTION("parameters are numbered across groups") {
    auto recipe = optim().make<Optimizer>("torch.optim.SGD", {{"momentum", 0.9}});
    auto params = fresh_params();
    torch::optim::SGD optimizer({torch::optim::OptimizerParamGroup({params[0]}),
                                 torch::optim::OptimizerParamGroup({params[1]}, std::make_unique<torch::optim::SGDOptions>(
                                                                                    torch::optim::SGDOptions(0.5)))},
                                torch::optim::SGDOptions(0.1).momentum(0.9));
    Dict state = recipe->state_dict(optimizer);
    CHECK(entry(group(state, 0), "params").toIntVector() == std::vector<int64_t>{0});
    CHECK(entry(group(state, 1), "params").toIntVector() == std::vector<int64_t>{1});
    CHECK(entry(group(state, 1), "lr").toDouble() == 0.5);
    auto stats = recipe->stats(optimizer);
    CHECK(stats == std::map<std::string, double>{{"lr/group1", 0.1}, {"lr/group2", 0.5}, {"momentum/group1", 0.9},
                                                 {"momentum/group2", 0.0}});
  }
}

TEST_CASE("optimizer stats use Lighter's names", "[plugin][torch_optim]") {
  auto stats = [](const std::string& name, Value::Table values) {
    auto recipe = optim().make<Optimizer>(name, std::move(values));
    auto params = fresh_params();
    return recipe->stats(*recipe->create(params));
  };
  using Stats = std::map<std::string, double>;
  CHECK(stats("torch.optim.Adam", {{"lr", 0.01}, {"betas", Array{0.8, 0.99}}}) == Stats{{"lr", 0.01}, {"momentum", 0.8}});
  CHECK(stats("torch.optim.SGD", {{"lr", 0.1}, {"momentum", 0.9}}) == Stats{{"lr", 0.1}, {"momentum", 0.9}});
  CHECK(stats("torch.optim.RMSprop", {}) == Stats{{"lr", 0.01}, {"momentum", 0.0}});
  CHECK(stats("torch.optim.Adagrad", {{"lr", 0.2}}) == Stats{{"lr", 0.2}});
}

TEST_CASE("a checkpoint that does not fit the optimizer is refused, leaving it unchanged", "[plugin][torch_optim][checkpoint]") {
  auto recipe = optim().make<Optimizer>("torch.optim.Adam", {{"lr", 0.01}});
  auto params = fresh_params();
  auto optimizer = recipe->create(params);
  train_steps(*optimizer, params, 1);
  Dict saved = recipe->state_dict(*optimizer);

  std::vector<torch::Tensor> one_param = {fresh_params()[0]};
  auto smaller = recipe->create(one_param);
  CHECK_THROWS_WITH(recipe->load_state_dict(*smaller, saved), Catch::Contains("param_groups[0]") && Catch::Contains("2 parameters"));
  CHECK(smaller->state().empty());
  CHECK_THROWS_WITH(recipe->load_state_dict(*smaller, Dict{{"state", saved.at("state")}}), Catch::Contains("param_groups"));

  auto saved_group = group(saved, 0);  // shares the dict inside `saved`
  saved_group.insert_or_assign("lr", 0.5);
  saved_group.insert_or_assign("maximize", true);
  auto same_size_params = fresh_params();
  auto same_size = recipe->create(same_size_params);
  CHECK_THROWS_WITH(recipe->load_state_dict(*same_size, saved), Catch::Contains("maximize"));
  CHECK(same_size->param_groups()[0].options().get_lr() == 0.01);
  CHECK(same_size->state().empty());
}

TEST_CASE("another optimizer's state is refused: the param groups' keys tell which it is", "[plugin][torch_optim][checkpoint]") {
  const std::vector<std::pair<std::string, std::string>> families = {
      {"torch.optim.SGD", "torch.optim.SGD"},         {"torch.optim.Adam", "torch.optim.Adam or AdamW"},
      {"torch.optim.AdamW", "torch.optim.Adam or AdamW"}, {"torch.optim.RMSprop", "torch.optim.RMSprop"},
      {"torch.optim.Adagrad", "torch.optim.Adagrad"}};
  for (const auto& [saver, saved_family] : families) {
    auto from = optim().make<Optimizer>(saver, {{"lr", 0.01}});
    auto params = fresh_params();
    auto optimizer = from->create(params);
    train_steps(*optimizer, params, 1);
    const Dict saved = through_pickle(from->state_dict(*optimizer));
    for (const auto& [loader, loader_family] : families) {
      INFO(saver << " -> " << loader);
      auto into = optim().make<Optimizer>(loader, {{"lr", 0.5}});
      auto target_params = fresh_params();
      auto target = into->create(target_params);
      const size_t states_before = target->state().size();  // Adagrad makes its state up front
      if (saved_family == loader_family) {
        CHECK_NOTHROW(into->load_state_dict(*target, saved));
        CHECK(target->param_groups()[0].options().get_lr() == 0.01);
      } else {
        CHECK_THROWS_WITH(into->load_state_dict(*target, saved),
                          Catch::Contains("it holds " + saved_family + " state (param_groups[0] has '") &&
                              Catch::Contains("), not " + loader_family + " state"));
        CHECK(target->param_groups()[0].options().get_lr() == 0.5);  // unchanged
        CHECK(target->state().size() == states_before);
      }
    }
  }
}

TEST_CASE("optimizer state of another shape or of no known optimizer is refused", "[plugin][torch_optim][checkpoint]") {
  auto recipe = optim().make<Optimizer>("torch.optim.Adam", {{"lr", 0.01}});
  auto params = fresh_params();
  auto optimizer = recipe->create(params);
  train_steps(*optimizer, params, 1);
  Dict saved = through_pickle(recipe->state_dict(*optimizer));
  auto target_params = fresh_params();
  auto target = recipe->create(target_params);

  auto state = saved.at("state").toGenericDict().at(c10::IValue(int64_t{1})).toGenericDict();
  state.insert_or_assign("exp_avg_sq", torch::zeros({2, 3}));
  CHECK_THROWS_WITH(recipe->load_state_dict(*target, saved),
                    Catch::Contains("state[1]['exp_avg_sq'] has shape [2, 3], but its parameter has shape [2, 2]"));
  CHECK(target->state().empty());

  auto unknown = group(saved, 0);
  REQUIRE(unknown.erase("betas") == 1);
  CHECK_THROWS_WITH(recipe->load_state_dict(*target, saved),
                    Catch::Contains("it holds no state of a torch.optim optimizer lighter knows (param_groups[0] has 'lr', ") &&
                        Catch::Contains("), not torch.optim.Adam or AdamW state"));
}
