// Adam / AdamW over lists of tensors: the arithmetic of libtorch's Adam::step (so on CPU a
// foreach step is bit-identical to it), issued once per group instead of once per parameter.
#include "multi_tensor_adam.hpp"

#include <lighter/torch_compat.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace lighter::torch_optim {

Kernels kernels_of(const Args& a) {
  const auto foreach = a.get_optional<bool>("foreach");
  const auto fused = a.get_optional<bool>("fused");
  if (fused.value_or(false)) {
    if (foreach.value_or(false)) a.fail("fused", "`fused` and `foreach` cannot be `True` together");
    if (!compat::kHasFusedAdam)
      a.fail("fused", std::string("fused kernels need lighter built against LibTorch 2.x (this one uses ") +
                          TORCH_VERSION + "); use foreach = true for one kernel per operation");
    return Kernels::Fused;
  }
  if (foreach) return *foreach ? Kernels::Foreach : Kernels::ForLoop;
  return Kernels::Auto;
}

template <class Base>
struct MultiTensorAdam<Base>::Lists {
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs;
  std::vector<typename AdamTraits<Base>::State*> states;
};

template <class Base>
MultiTensorAdam<Base>::MultiTensorAdam(std::vector<torch::optim::OptimizerParamGroup> groups,
                                       const Options& defaults, std::vector<Kernels> kernels)
    : Base(std::move(groups), defaults), kernels_(std::move(kernels)) {
  if (kernels_.empty()) kernels_.push_back(Kernels::Auto);
}

template <class Base>
typename MultiTensorAdam<Base>::Lists MultiTensorAdam<Base>::collect(torch::optim::OptimizerParamGroup& group,
                                                                     bool amsgrad) {
  using State = typename AdamTraits<Base>::State;
  Lists lists;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    TORCH_CHECK(!p.grad().is_sparse(), "Adam does not support sparse gradients");
    auto& slot = this->state_[compat::optimizer_state_key(p)];
    if (!slot) {  // as libtorch's step creates it
      auto state = std::make_unique<State>();
      state->step(0);
      state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      if (amsgrad) state->max_exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      slot = std::move(state);
    }
    auto* state = static_cast<State*>(slot.get());
    lists.params.push_back(p);
    lists.grads.push_back(p.grad());
    lists.exp_avgs.push_back(state->exp_avg());
    lists.exp_avg_sqs.push_back(state->exp_avg_sq());
    if (amsgrad) lists.max_exp_avg_sqs.push_back(state->max_exp_avg_sq());
    lists.states.push_back(state);
  }
  return lists;
}

template <class Base>
void MultiTensorAdam<Base>::foreach_step(Lists& l, const Options& o) {
  const auto [beta1, beta2] = o.betas();
  const double lr = o.lr(), weight_decay = o.weight_decay();
  std::vector<at::Scalar> bias_correction2_sqrt, step_size;
  for (auto* state : l.states) {
    state->step(state->step() + 1);
    bias_correction2_sqrt.emplace_back(std::sqrt(1 - std::pow(beta2, state->step())));
    step_size.emplace_back(-(lr / (1 - std::pow(beta1, state->step()))));
  }
  std::vector<torch::Tensor> grads = l.grads;
  if (weight_decay != 0) {
    if (AdamTraits<Base>::decoupled_weight_decay)
      at::_foreach_mul_(l.params, 1 - lr * weight_decay);
    else
      grads = at::_foreach_add(grads, l.params, weight_decay);
  }
  at::_foreach_mul_(l.exp_avgs, beta1);
  at::_foreach_add_(l.exp_avgs, grads, 1 - beta1);
  at::_foreach_mul_(l.exp_avg_sqs, beta2);
  at::_foreach_addcmul_(l.exp_avg_sqs, grads, grads, 1 - beta2);
  if (o.amsgrad()) at::_foreach_maximum_(l.max_exp_avg_sqs, l.exp_avg_sqs);
  std::vector<torch::Tensor> denom = at::_foreach_sqrt(o.amsgrad() ? l.max_exp_avg_sqs : l.exp_avg_sqs);
  at::_foreach_div_(denom, bias_correction2_sqrt);
  at::_foreach_add_(denom, o.eps());
  at::_foreach_addcdiv_(l.params, l.exp_avgs, denom, step_size);
}

template <class Base>
void MultiTensorAdam<Base>::fused_step(Lists& l, const Options& o) {
  const auto [beta1, beta2] = o.betas();
  // One kernel per device and dtype, as torch.optim groups them.
  std::map<std::tuple<int, int, int>, std::vector<size_t>> buckets;
  std::vector<torch::Tensor> steps;
  for (size_t i = 0; i < l.params.size(); ++i) {
    const torch::Tensor& p = l.params[i];
    auto* state = l.states[i];
    StepTensor& step = step_tensors_[p.unsafeGetTensorImpl()];
    if (!step.tensor.defined() || step.tensor.device() != p.device()) {
      step.tensor = torch::full({}, static_cast<double>(state->step()), torch::dtype(torch::kFloat).device(p.device()));
      step.count = state->step();
    } else if (step.count != state->step()) {
      step.tensor.fill_(static_cast<double>(state->step()));
      step.count = state->step();
    }
    state->step(state->step() + 1);
    ++step.count;
    steps.push_back(step.tensor);
    buckets[{static_cast<int>(p.device().type()), p.device().index(), static_cast<int>(p.scalar_type())}].push_back(i);
  }
  at::_foreach_add_(steps, 1);
  auto pick = [](const std::vector<torch::Tensor>& all, const std::vector<size_t>& which) {
    std::vector<torch::Tensor> some;
    some.reserve(which.size());
    for (size_t i : which) some.push_back(all[i]);
    return some;
  };
  for (const auto& [_, which] : buckets)
    compat::fused_adam_(AdamTraits<Base>::decoupled_weight_decay, pick(l.params, which), pick(l.grads, which),
                        pick(l.exp_avgs, which), pick(l.exp_avg_sqs, which),
                        o.amsgrad() ? pick(l.max_exp_avg_sqs, which) : std::vector<torch::Tensor>{},
                        pick(steps, which), o.lr(), beta1, beta2, o.weight_decay(), o.eps(), o.amsgrad());
}

template <class Base>
torch::Tensor MultiTensorAdam<Base>::step(torch::optim::Optimizer::LossClosure closure) {
  auto& groups = this->param_groups();
  auto configured = [&](size_t g) { return kernels_[std::min(g, kernels_.size() - 1)]; };
  auto kernels_for = [&](size_t g) {  // Auto resolved by where the gradients are
    const Kernels k = configured(g);
    if (k != Kernels::Auto) return k;
    for (const auto& p : groups[g].params())
      if (p.grad().defined()) return p.is_cuda() ? Kernels::Foreach : Kernels::ForLoop;
    return Kernels::ForLoop;
  };
  bool loops_only = true;
  for (size_t g = 0; g < groups.size(); ++g) loops_only = loops_only && kernels_for(g) == Kernels::ForLoop;
  if (loops_only) return Base::step(std::move(closure));  // libtorch's own per-parameter loop

  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& options = static_cast<const Options&>(groups[g].options());
    Lists lists = collect(groups[g], options.amsgrad());
    if (lists.params.empty()) continue;
    if (configured(g) == Kernels::Fused)  // Auto never resolves to Fused
      fused_step(lists, options);
    else  // libtorch's loop steps every group, so a for-loop group among others gets the foreach
      foreach_step(lists, options);  // arithmetic: the same values on CPU, rounding aside on CUDA
  }
  return loss;
}

template class MultiTensorAdam<torch::optim::Adam>;
template class MultiTensorAdam<torch::optim::AdamW>;

}  // namespace lighter::torch_optim
