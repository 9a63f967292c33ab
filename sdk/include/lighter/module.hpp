#pragma once
// torch.nn components: layers, networks and losses. The host and other components use them
// through torch::nn::AnyModule, so any torch::nn::Module with a forward() can be registered.
#include <torch/torch.h>

#include "lighter/object.hpp"

namespace lighter {

class Module : public Object {
 public:
  static constexpr Kind static_kind = Kind::Module;
  explicit Module(torch::nn::AnyModule module) : module_(std::move(module)) {}
  Kind kind() const override { return Kind::Module; }

  torch::nn::AnyModule& any() { return module_; }
  std::shared_ptr<torch::nn::Module> ptr() const { return module_.ptr(); }

  // Layers and networks: one tensor in, one out. Losses: (input, target) -> loss.
  torch::Tensor forward(const torch::Tensor& x) { return module_.forward(x); }
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& b) { return module_.forward(a, b); }

 private:
  torch::nn::AnyModule module_;
};

// Wraps a TORCH_MODULE holder (torch::nn::Linear, a plugin's own MyNet, ...) for a factory.
template <class Holder>
std::shared_ptr<Module> make_module(Holder holder) {
  return std::make_shared<Module>(torch::nn::AnyModule(std::move(holder)));
}

}  // namespace lighter
