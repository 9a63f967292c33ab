#pragma once
// torch.optim.Adam / AdamW's `foreach` and `fused` implementations over libtorch's Adam / AdamW:
// the same options, per-parameter state and checkpoints, but one kernel per operation for all
// parameters of a group (foreach) or one kernel for the whole update (fused, LibTorch 2.x). On a
// GPU this replaces ~8 kernel launches per parameter and step by ~8 (or 1) per group.
#include <lighter/sdk.hpp>

#include <unordered_map>
#include <vector>

namespace lighter::torch_optim {

// Python's rule: fused=True or foreach=True choose; unset, foreach on CUDA and a loop over the
// parameters elsewhere (the loop is libtorch's own step, so CPU results stay as they were).
enum class Kernels { Auto, ForLoop, Foreach, Fused };

// The choice the `foreach` and `fused` keys of `a` make (both true is an error, as in Python).
Kernels kernels_of(const Args& a);

template <class Base>
struct AdamTraits;
template <>
struct AdamTraits<torch::optim::Adam> {
  using Options = torch::optim::AdamOptions;
  using State = torch::optim::AdamParamState;
  static constexpr bool decoupled_weight_decay = false;
};
template <>
struct AdamTraits<torch::optim::AdamW> {
  using Options = torch::optim::AdamWOptions;
  using State = torch::optim::AdamWParamState;
  static constexpr bool decoupled_weight_decay = true;
};

// Adam (Base = torch::optim::Adam) or AdamW (torch::optim::AdamW), with one Kernels per group
// (groups added later use the last one).
template <class Base>
class MultiTensorAdam : public Base {
 public:
  using Options = typename AdamTraits<Base>::Options;
  MultiTensorAdam(std::vector<torch::optim::OptimizerParamGroup> groups, const Options& defaults,
                  std::vector<Kernels> kernels);
  torch::Tensor step(torch::optim::Optimizer::LossClosure closure = nullptr) override;

 private:
  // The parameters of one group that have gradients, with their (created on first use) state.
  struct Lists;
  Lists collect(torch::optim::OptimizerParamGroup& group, bool amsgrad);
  void foreach_step(Lists& lists, const Options& o);
  void fused_step(Lists& lists, const Options& o);

  std::vector<Kernels> kernels_;
  // Fused kernels read the step count from a float tensor on the parameter's device; kept here
  // with the count it holds, refilled only when the state's count was changed (a loaded checkpoint).
  struct StepTensor {
    torch::Tensor tensor;
    int64_t count = 0;
  };
  std::unordered_map<const void*, StepTensor> step_tensors_;
};

}  // namespace lighter::torch_optim
