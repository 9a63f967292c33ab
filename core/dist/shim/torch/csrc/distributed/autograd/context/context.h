#pragma once
// c10d/reducer.hpp includes this header, which Debian's libtorch-dev does not ship. The reducer
// only needs DistAutogradContext::GradCallback and ContextPtr, declared here as libtorch does.
// Where the real header exists (upstream LibTorch) it is used instead.
#if __has_include_next(<torch/csrc/distributed/autograd/context/context.h>)
#include_next <torch/csrc/distributed/autograd/context/context.h>
#else
#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch::distributed::autograd {
class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;
}  // namespace torch::distributed::autograd
#endif
