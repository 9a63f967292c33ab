// torch.nn activations: ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, Softmax.
#include <lighter/module.hpp>

#include "arguments.hpp"
#include "registrations.hpp"

namespace lighter::torch_nn {

namespace {
using namespace lighter::param;

// libtorch's Softmax needs a dim; Python's defaults to None, which picks one from the rank.
class SoftmaxImpl : public torch::nn::Cloneable<SoftmaxImpl> {
 public:
  explicit SoftmaxImpl(std::optional<int64_t> dim) : dim_(dim) {}
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x) {
    // torch.nn.functional._get_softmax_dim, the legacy rule for dim=None.
    const int64_t implicit = (x.dim() == 0 || x.dim() == 1 || x.dim() == 3) ? 0 : 1;
    return torch::softmax(x, dim_.value_or(implicit));
  }

 private:
  std::optional<int64_t> dim_;
};
TORCH_MODULE(Softmax);

Param inplace() { return boolean("inplace", false, "operate in place"); }
}  // namespace

void register_activations(Registrar& r) {
  r.add<Module>("torch.nn.ReLU", "max(0, x)", {inplace()}, [](const Args& a) {
    return make_module(torch::nn::ReLU(torch::nn::ReLUOptions(a.get<bool>("inplace"))));
  });
  r.add<Module>("torch.nn.LeakyReLU", "max(0, x) + negative_slope * min(0, x)",
                {real("negative_slope", 0.01, "slope for negative inputs"), inplace()}, [](const Args& a) {
                  return make_module(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions()
                                                              .negative_slope(a.get<double>("negative_slope"))
                                                              .inplace(a.get<bool>("inplace"))));
                });
  r.add<Module>("torch.nn.GELU", "Gaussian error linear unit",
                {choice("approximate", {"none", "tanh"}, "none", "'tanh' uses the tanh approximation")},
                [](const Args& a) {
                  return make_module(
                      torch::nn::GELU(torch::nn::GELUOptions().approximate(a.get<std::string>("approximate"))));
                });
  // libtorch's SiLU has no in-place variant; the result is the same, so `inplace` is accepted.
  r.add<Module>("torch.nn.SiLU", "x * sigmoid(x)", {inplace()},
                [](const Args&) { return make_module(torch::nn::SiLU()); });
  r.add<Module>("torch.nn.Tanh", "hyperbolic tangent", {}, [](const Args&) { return make_module(torch::nn::Tanh()); });
  r.add<Module>("torch.nn.Sigmoid", "logistic sigmoid", {},
                [](const Args&) { return make_module(torch::nn::Sigmoid()); });
  r.add<Module>("torch.nn.Softmax", "softmax along dim",
                {or_null(integer("dim", std::nullopt, "dim to normalise (null: chosen from the input's rank)"))},
                [](const Args& a) {
                  return make_module(Softmax(a.get_optional<int64_t>("dim")));
                });
}

}  // namespace lighter::torch_nn
