// torch.optim.{SGD, Adam, AdamW, RMSprop, Adagrad}: configured options captured in a recipe;
// create() builds the libtorch optimizer once the parameters are known.
#include <lighter/sdk.hpp>

#include <functional>
#include <type_traits>

#include "multi_tensor_adam.hpp"
#include "optimizer_state.hpp"
#include "param_groups.hpp"
#include "registrations.hpp"

namespace lighter::torch_optim {

namespace {
using namespace lighter::param;
using Create = std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>;

class OptimizerRecipe : public Optimizer {
 public:
  OptimizerRecipe(std::string name, Create create, const PythonLayout& layout)
      : name_(std::move(name)), create_(std::move(create)), layout_(layout) {}
  std::string name() const override { return name_; }
  std::unique_ptr<torch::optim::Optimizer> create(std::vector<torch::Tensor> params) const override {
    return create_(std::move(params));
  }
  Dict state_dict(torch::optim::Optimizer& optimizer) const override {
    return save_optimizer_state(layout_, optimizer);
  }
  void load_state_dict(torch::optim::Optimizer& optimizer, const Dict& state) const override {
    load_optimizer_state(layout_, optimizer, state);
  }
  std::map<std::string, double> stats(torch::optim::Optimizer& optimizer) const override {
    return optimizer_stats(layout_, optimizer);
  }

 private:
  std::string name_;
  Create create_;
  const PythonLayout& layout_;
};

template <class Options>
using OptionsOf = Options (*)(const Args&);
using KernelsOf = Kernels (*)(const Args&);
using Groups = std::vector<torch::optim::OptimizerParamGroup>;

// `kernels` (one per group) reach the optimizers that take them (Adam, AdamW).
template <class TorchOptimizer, class Options>
std::unique_ptr<torch::optim::Optimizer> make_optimizer(Groups groups, const Options& options,
                                                        const std::vector<Kernels>& kernels) {
  if constexpr (std::is_constructible_v<TorchOptimizer, Groups, const Options&, std::vector<Kernels>>)
    return std::make_unique<TorchOptimizer>(std::move(groups), options, kernels);
  else
    return std::make_unique<TorchOptimizer>(std::move(groups), options);
}

// The optimizer's options, and one set per parameter group (each group's keys over the
// optimizer's, checked by the same `options_of` and `kernels_of`).
template <class TorchOptimizer, class Options>
std::shared_ptr<Optimizer> recipe(const Args& a, std::string name, const PythonLayout& layout,
                                  OptionsOf<Options> options_of, KernelsOf kernels_of,
                                  const std::vector<std::string>& keys) {
  const Options options = options_of(a);
  std::vector<std::shared_ptr<torch::nn::Module>> modules;
  std::vector<Options> group_options;
  std::vector<Kernels> kernels;
  for (const auto& group : group_sources(a, keys)) {
    modules.push_back(group.module);
    group_options.push_back(options_of(group.args));
    if (kernels_of) kernels.push_back(kernels_of(group.args));
  }
  if (kernels_of && modules.empty()) kernels.push_back(kernels_of(a));
  Create create = [options, kernels](std::vector<torch::Tensor> params) {
    Groups groups;
    groups.emplace_back(std::move(params));  // as libtorch's constructor taking the tensors does
    return make_optimizer<TorchOptimizer>(std::move(groups), options, kernels);
  };
  if (!modules.empty())
    create = [options, modules, group_options, kernels](std::vector<torch::Tensor> /*the groups say which*/) {
      auto tensors = group_tensors(modules);
      Groups groups;
      for (size_t i = 0; i < tensors.size(); ++i)
        groups.emplace_back(std::move(tensors[i]), std::make_unique<Options>(group_options[i]));
      return make_optimizer<TorchOptimizer>(std::move(groups), options, kernels);
    };
  auto made = std::make_shared<OptimizerRecipe>(std::move(name), std::move(create), layout);
  if (modules.empty())
    if (auto module = a.component<Module>("params")) made->params_module = module->ptr();
  return made;
}

// Python's `Invalid learning rate: -1.0` checks, raised at config time with the key's path.
double non_negative(const Args& a, const std::string& key) {
  const double v = a.get<double>(key);
  if (!(v >= 0.0)) a.fail(key, "expected a number >= 0, got " + std::to_string(v));
  return v;
}

std::tuple<double, double> betas_of(const Args& a) {
  auto betas = a.get<std::vector<double>>("betas");
  if (betas.size() != 2) a.fail("betas", "expected a list of 2 numbers");
  for (double b : betas)
    if (!(b >= 0.0 && b < 1.0)) a.fail("betas", "expected values in [0, 1), got " + std::to_string(b));
  return {betas[0], betas[1]};
}

std::vector<Param> with_params(std::vector<Param> own) {
  Param params = component("params", Kind::Module,
                           "module whose parameters are optimised (e.g. \"@model::network::0\"), or parameter "
                           "groups [{params = <module>, lr = ...}, ...]; default: all the model's trainable parameters",
                           true);
  params.type = params.type | Type::List;
  own.insert(own.begin(), std::move(params));
  return own;
}

// Registers `target` with its own options `own` (a parameter group may set any of them).
template <class TorchOptimizer, class Options>
void add_optimizer(Registrar& r, const std::string& target, const std::string& doc, const std::string& name,
                   const PythonLayout& (*layout)(), std::vector<Param> own,
                   OptionsOf<Options> options_of, KernelsOf kernels_of = nullptr) {
  std::vector<std::string> keys;
  for (const auto& p : own) keys.push_back(p.name);
  r.add<Optimizer>(target, doc, with_params(std::move(own)), [=](const Args& a) {
    return recipe<TorchOptimizer, Options>(a, name, layout(), options_of, kernels_of, keys);
  });
}

Param unset_or_bool(std::string name, std::string doc) {
  Param p = boolean(std::move(name), false, std::move(doc));
  p.type = Type::Bool | Type::Null;
  p.default_value = Value();
  return p;
}

// torch.optim's implementation switches, as Python spells them.
std::vector<Param> with_kernels(std::vector<Param> own) {
  own.push_back(unset_or_bool("foreach", "one kernel per operation for all parameters of a group (null: on CUDA)"));
  own.push_back(unset_or_bool("fused", "one kernel for the whole update (LibTorch 2.x builds; null: off)"));
  return own;
}

Param betas() {
  return list("betas", Type::Float, Value(Value::Array{0.9, 0.999}), "coefficients of the running averages");
}

torch::optim::AdamOptions adam_options(const Args& a) {
  return torch::optim::AdamOptions(non_negative(a, "lr"))
      .betas(betas_of(a))
      .eps(non_negative(a, "eps"))
      .weight_decay(non_negative(a, "weight_decay"))
      .amsgrad(a.get<bool>("amsgrad"));
}

torch::optim::AdamWOptions adamw_options(const Args& a) {
  return torch::optim::AdamWOptions(non_negative(a, "lr"))
      .betas(betas_of(a))
      .eps(non_negative(a, "eps"))
      .weight_decay(non_negative(a, "weight_decay"))
      .amsgrad(a.get<bool>("amsgrad"));
}

torch::optim::SGDOptions sgd_options(const Args& a) {
  const double momentum = non_negative(a, "momentum"), dampening = a.get<double>("dampening");
  const bool nesterov = a.get<bool>("nesterov");
  if (nesterov && (momentum <= 0 || dampening != 0))
    a.fail("nesterov", "Nesterov momentum needs momentum > 0 and dampening = 0");
  return torch::optim::SGDOptions(non_negative(a, "lr"))
      .momentum(momentum)
      .dampening(dampening)
      .weight_decay(non_negative(a, "weight_decay"))
      .nesterov(nesterov);
}

torch::optim::RMSpropOptions rmsprop_options(const Args& a) {
  return torch::optim::RMSpropOptions(non_negative(a, "lr"))
      .alpha(non_negative(a, "alpha"))
      .eps(non_negative(a, "eps"))
      .weight_decay(non_negative(a, "weight_decay"))
      .momentum(non_negative(a, "momentum"))
      .centered(a.get<bool>("centered"));
}

torch::optim::AdagradOptions adagrad_options(const Args& a) {
  return torch::optim::AdagradOptions(non_negative(a, "lr"))
      .lr_decay(non_negative(a, "lr_decay"))
      .weight_decay(non_negative(a, "weight_decay"))
      .initial_accumulator_value(non_negative(a, "initial_accumulator_value"))
      .eps(non_negative(a, "eps"));
}

void register_adam_family(Registrar& r) {
  add_optimizer<MultiTensorAdam<torch::optim::Adam>>(
      r, "torch.optim.Adam", "Adam", "Adam", adam_layout,
      with_kernels({real("lr", 1e-3, "learning rate"), betas(),
                    real("eps", 1e-8, "added to the denominator for numerical stability"),
                    real("weight_decay", 0.0, "L2 penalty"), boolean("amsgrad", false, "use the AMSGrad variant")}),
      adam_options, kernels_of);
  add_optimizer<MultiTensorAdam<torch::optim::AdamW>>(
      r, "torch.optim.AdamW", "Adam with decoupled weight decay", "AdamW", adamw_layout,
      with_kernels({real("lr", 1e-3, "learning rate"), betas(),
                    real("eps", 1e-8, "added to the denominator for numerical stability"),
                    real("weight_decay", 1e-2, "decoupled weight decay coefficient"),
                    boolean("amsgrad", false, "use the AMSGrad variant")}),
      adamw_options, kernels_of);
}

void register_classic(Registrar& r) {
  add_optimizer<torch::optim::SGD>(r, "torch.optim.SGD", "stochastic gradient descent (optionally with momentum)",
                                   "SGD", sgd_layout,
                                   {real("lr", 1e-3, "learning rate"), real("momentum", 0.0, "momentum factor"),
                                    real("dampening", 0.0, "dampening for momentum"),
                                    real("weight_decay", 0.0, "L2 penalty"),
                                    boolean("nesterov", false, "use Nesterov momentum")},
                                   sgd_options);
  add_optimizer<torch::optim::RMSprop>(
      r, "torch.optim.RMSprop", "RMSprop", "RMSprop", rmsprop_layout,
      {real("lr", 1e-2, "learning rate"), real("alpha", 0.99, "smoothing constant"),
       real("eps", 1e-8, "added to the denominator for numerical stability"), real("weight_decay", 0.0, "L2 penalty"),
       real("momentum", 0.0, "momentum factor"),
       boolean("centered", false, "normalise by the estimated gradient variance")},
      rmsprop_options);
  add_optimizer<torch::optim::Adagrad>(
      r, "torch.optim.Adagrad", "Adagrad", "Adagrad", adagrad_layout,
      {real("lr", 1e-2, "learning rate"), real("lr_decay", 0.0, "learning-rate decay"),
       real("weight_decay", 0.0, "L2 penalty"),
       real("initial_accumulator_value", 0.0, "initial value of the squared-gradient sums"),
       real("eps", 1e-10, "added to the denominator for numerical stability")},
      adagrad_options);
}
}  // namespace

void register_optimizers(Registrar& registrar) {
  register_classic(registrar);
  register_adam_family(registrar);
}

}  // namespace lighter::torch_optim
