// Python names for each libtorch optimizer's options and per-parameter state (PyTorch 1.13).
#include <stdexcept>
#include <typeinfo>

#include "optimizer_state.hpp"

namespace lighter::torch_optim {

namespace {
using torch::optim::OptimizerOptions;
using torch::optim::OptimizerParamState;

template <class T, class Base>
T& as(Base& base) {
  auto* typed = dynamic_cast<T*>(&base);
  if (!typed) throw std::logic_error(std::string("optimizer state layout used with ") + typeid(base).name());
  return *typed;
}

// Python 1.13 keys libtorch has no counterpart for; written with their defaults so the groups
// look like Python's, refused when a checkpoint needs a behaviour libtorch lacks.
void write_python_only(GenericDict& group) {
  group.insert("maximize", false);
  group.insert("foreach", c10::IValue());
}
void check_python_only(const GenericDict& group, const std::string& where) {
  if (optional_bool(group, "maximize", where).value_or(false))
    throw std::runtime_error(where + " has maximize=True, which libtorch's optimizers do not support");
}

torch::Tensor read_tensor(const GenericDict& state, const std::string& key, const torch::Tensor& param,
                          const std::string& where) {
  const c10::IValue& value = require(state, key, where);
  if (!value.isTensor()) throw std::runtime_error(where + "['" + key + "']: expected a tensor");
  if (value.toTensor().sizes() != param.sizes())
    throw std::runtime_error(where + "['" + key + "'] has shape " + c10::str(value.toTensor().sizes()) +
                             ", but its parameter has shape " + c10::str(param.sizes()));
  return value.toTensor().to(param.device(), param.dtype(), /*non_blocking=*/false, /*copy=*/true);
}
torch::Tensor read_optional_tensor(const GenericDict& state, const std::string& key, const torch::Tensor& param,
                                   const std::string& where) {
  const c10::IValue* value = find(state, key);
  if (!value || value->isNone()) return {};
  return read_tensor(state, key, param, where);
}
void write_optional_tensor(GenericDict& out, const std::string& key, const torch::Tensor& t) {
  if (t.defined()) out.insert(key, snapshot(t));
}
// Python keeps Adam's and Adagrad's step as a float32 0-dim tensor (PyTorch >= 1.12).
c10::IValue step_tensor(int64_t step) { return torch::scalar_tensor(static_cast<double>(step), torch::kFloat); }

class SgdLayout : public PythonLayout {
  using Options = torch::optim::SGDOptions;
  using State = torch::optim::SGDParamState;

 public:
  void write_options(const OptimizerOptions& options, GenericDict& group) const override {
    const auto& o = as<const Options>(options);
    group.insert("lr", o.lr());
    group.insert("momentum", o.momentum());
    group.insert("dampening", o.dampening());
    group.insert("weight_decay", o.weight_decay());
    group.insert("nesterov", o.nesterov());
    write_python_only(group);
  }
  void read_options(const GenericDict& group, OptimizerOptions& options, const std::string& where) const override {
    auto& o = as<Options>(options);
    check_python_only(group, where);
    if (auto v = optional_double(group, "lr", where)) o.lr(*v);
    if (auto v = optional_double(group, "momentum", where)) o.momentum(*v);
    if (auto v = optional_double(group, "dampening", where)) o.dampening(*v);
    if (auto v = optional_double(group, "weight_decay", where)) o.weight_decay(*v);
    if (auto v = optional_bool(group, "nesterov", where)) o.nesterov(*v);
  }
  void write_state(const OptimizerParamState& state, GenericDict& out) const override {
    write_optional_tensor(out, "momentum_buffer", as<const State>(state).momentum_buffer());
  }
  std::unique_ptr<OptimizerParamState> read_state(const GenericDict& state, const torch::Tensor& param,
                                                  const std::string& where) const override {
    auto out = std::make_unique<State>();
    out->momentum_buffer(read_optional_tensor(state, "momentum_buffer", param, where));
    return out;
  }
  std::string family() const override { return "torch.optim.SGD"; }
  std::vector<std::string> signature() const override { return {"momentum", "dampening", "nesterov"}; }
  std::optional<double> momentum(const OptimizerOptions& options) const override {
    return as<const Options>(options).momentum();
  }
};

// Adam and AdamW share option and state names.
template <class Options, class State>
class AdamLayout : public PythonLayout {
 public:
  void write_options(const OptimizerOptions& options, GenericDict& group) const override {
    const auto& o = as<const Options>(options);
    group.insert("lr", o.lr());
    group.insert("betas", c10::ivalue::Tuple::create(std::get<0>(o.betas()), std::get<1>(o.betas())));
    group.insert("eps", o.eps());
    group.insert("weight_decay", o.weight_decay());
    group.insert("amsgrad", o.amsgrad());
    write_python_only(group);
  }
  void read_options(const GenericDict& group, OptimizerOptions& options, const std::string& where) const override {
    auto& o = as<Options>(options);
    check_python_only(group, where);
    if (auto v = optional_double(group, "lr", where)) o.lr(*v);
    if (const c10::IValue* betas = find(group, "betas")) {
      auto values = to_doubles(*betas, where + "['betas']");
      if (values.size() != 2) throw std::runtime_error(where + "['betas']: expected 2 numbers");
      o.betas({values[0], values[1]});
    }
    if (auto v = optional_double(group, "eps", where)) o.eps(*v);
    if (auto v = optional_double(group, "weight_decay", where)) o.weight_decay(*v);
    if (auto v = optional_bool(group, "amsgrad", where)) o.amsgrad(*v);
  }
  void write_state(const OptimizerParamState& state, GenericDict& out) const override {
    const auto& s = as<const State>(state);
    out.insert("step", step_tensor(s.step()));
    out.insert("exp_avg", snapshot(s.exp_avg()));
    out.insert("exp_avg_sq", snapshot(s.exp_avg_sq()));
    write_optional_tensor(out, "max_exp_avg_sq", s.max_exp_avg_sq());
  }
  std::unique_ptr<OptimizerParamState> read_state(const GenericDict& state, const torch::Tensor& param,
                                                  const std::string& where) const override {
    auto out = std::make_unique<State>();
    out->step(to_int(require(state, "step", where), where + "['step']"));
    out->exp_avg(read_tensor(state, "exp_avg", param, where));
    out->exp_avg_sq(read_tensor(state, "exp_avg_sq", param, where));
    out->max_exp_avg_sq(read_optional_tensor(state, "max_exp_avg_sq", param, where));
    return out;
  }
  std::string family() const override { return "torch.optim.Adam or AdamW"; }
  std::vector<std::string> signature() const override { return {"betas", "amsgrad"}; }
  std::optional<double> momentum(const OptimizerOptions& options) const override {
    return std::get<0>(as<const Options>(options).betas());
  }
};

class RmspropLayout : public PythonLayout {
  using Options = torch::optim::RMSpropOptions;
  using State = torch::optim::RMSpropParamState;

 public:
  void write_options(const OptimizerOptions& options, GenericDict& group) const override {
    const auto& o = as<const Options>(options);
    group.insert("lr", o.lr());
    group.insert("momentum", o.momentum());
    group.insert("alpha", o.alpha());
    group.insert("eps", o.eps());
    group.insert("centered", o.centered());
    group.insert("weight_decay", o.weight_decay());
    write_python_only(group);
  }
  void read_options(const GenericDict& group, OptimizerOptions& options, const std::string& where) const override {
    auto& o = as<Options>(options);
    check_python_only(group, where);
    if (auto v = optional_double(group, "lr", where)) o.lr(*v);
    if (auto v = optional_double(group, "momentum", where)) o.momentum(*v);
    if (auto v = optional_double(group, "alpha", where)) o.alpha(*v);
    if (auto v = optional_double(group, "eps", where)) o.eps(*v);
    if (auto v = optional_bool(group, "centered", where)) o.centered(*v);
    if (auto v = optional_double(group, "weight_decay", where)) o.weight_decay(*v);
  }
  void write_state(const OptimizerParamState& state, GenericDict& out) const override {
    const auto& s = as<const State>(state);
    out.insert("step", s.step());  // a plain int in Python's RMSprop
    out.insert("square_avg", snapshot(s.square_avg()));
    write_optional_tensor(out, "momentum_buffer", s.momentum_buffer());
    write_optional_tensor(out, "grad_avg", s.grad_avg());
  }
  std::unique_ptr<OptimizerParamState> read_state(const GenericDict& state, const torch::Tensor& param,
                                                  const std::string& where) const override {
    auto out = std::make_unique<State>();
    out->step(to_int(require(state, "step", where), where + "['step']"));
    out->square_avg(read_tensor(state, "square_avg", param, where));
    out->momentum_buffer(read_optional_tensor(state, "momentum_buffer", param, where));
    out->grad_avg(read_optional_tensor(state, "grad_avg", param, where));
    return out;
  }
  std::string family() const override { return "torch.optim.RMSprop"; }
  std::vector<std::string> signature() const override { return {"alpha", "centered"}; }
  std::optional<double> momentum(const OptimizerOptions& options) const override {
    return as<const Options>(options).momentum();
  }
};

class AdagradLayout : public PythonLayout {
  using Options = torch::optim::AdagradOptions;
  using State = torch::optim::AdagradParamState;

 public:
  void write_options(const OptimizerOptions& options, GenericDict& group) const override {
    const auto& o = as<const Options>(options);
    group.insert("lr", o.lr());
    group.insert("lr_decay", o.lr_decay());
    group.insert("eps", o.eps());
    group.insert("weight_decay", o.weight_decay());
    group.insert("initial_accumulator_value", o.initial_accumulator_value());
    write_python_only(group);
  }
  void read_options(const GenericDict& group, OptimizerOptions& options, const std::string& where) const override {
    auto& o = as<Options>(options);
    check_python_only(group, where);
    if (auto v = optional_double(group, "lr", where)) o.lr(*v);
    if (auto v = optional_double(group, "lr_decay", where)) o.lr_decay(*v);
    if (auto v = optional_double(group, "eps", where)) o.eps(*v);
    if (auto v = optional_double(group, "weight_decay", where)) o.weight_decay(*v);
    if (auto v = optional_double(group, "initial_accumulator_value", where)) o.initial_accumulator_value(*v);
  }
  void write_state(const OptimizerParamState& state, GenericDict& out) const override {
    const auto& s = as<const State>(state);
    out.insert("step", step_tensor(s.step()));
    out.insert("sum", snapshot(s.sum()));
  }
  std::unique_ptr<OptimizerParamState> read_state(const GenericDict& state, const torch::Tensor& param,
                                                  const std::string& where) const override {
    auto out = std::make_unique<State>();
    out->step(to_int(require(state, "step", where), where + "['step']"));
    out->sum(read_tensor(state, "sum", param, where));
    return out;
  }
  std::string family() const override { return "torch.optim.Adagrad"; }
  std::vector<std::string> signature() const override { return {"lr_decay", "initial_accumulator_value"}; }
  std::optional<double> momentum(const OptimizerOptions&) const override { return std::nullopt; }
};
}  // namespace

const PythonLayout& sgd_layout() {
  static const SgdLayout layout;
  return layout;
}
const PythonLayout& adam_layout() {
  static const AdamLayout<torch::optim::AdamOptions, torch::optim::AdamParamState> layout;
  return layout;
}
const PythonLayout& adamw_layout() {
  static const AdamLayout<torch::optim::AdamWOptions, torch::optim::AdamWParamState> layout;
  return layout;
}
const PythonLayout& rmsprop_layout() {
  static const RmspropLayout layout;
  return layout;
}
const PythonLayout& adagrad_layout() {
  static const AdagradLayout layout;
  return layout;
}

}  // namespace lighter::torch_optim
