// torch.nn.Sequential: layers given as `_args_`.
#include <lighter/module.hpp>

#include "registrations.hpp"

namespace lighter::torch_nn {

namespace {
// torch::nn::Sequential's templated forward() cannot sit in an AnyModule, so this container
// runs the layers itself. They are registered as "0", "1", ... like Python's, so parameter
// names (and checkpoints) match torch.nn.Sequential's.
class SequentialImpl : public torch::nn::Module {
 public:
  explicit SequentialImpl(std::vector<torch::nn::AnyModule> layers) : layers_(std::move(layers)) {
    for (size_t i = 0; i < layers_.size(); ++i) register_module(std::to_string(i), layers_[i].ptr());
  }
  torch::Tensor forward(torch::Tensor x) {
    for (auto& layer : layers_) x = layer.forward(x);
    return x;
  }

 private:
  std::vector<torch::nn::AnyModule> layers_;
};
TORCH_MODULE(Sequential);
}  // namespace

void register_containers(Registrar& registrar) {
  ComponentInfo info;
  info.name = "torch.nn.Sequential";
  info.kind = Kind::Module;
  info.doc = "runs its layers (`_args_`) in order, each one's output feeding the next";
  info.positional = param::components("_args_", Kind::Module, "layers, applied in order");
  info.factory = [](const Args& a) -> ObjectPtr {
    std::vector<torch::nn::AnyModule> layers;
    for (const auto& layer : a.components<Module>("_args_")) layers.push_back(layer->any());
    return make_module(Sequential(std::move(layers)));
  };
  registrar.add(std::move(info));
}

}  // namespace lighter::torch_nn
