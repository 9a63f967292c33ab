// torch.nn losses: Modules whose forward takes (input, target).
#include <lighter/module.hpp>

#include "arguments.hpp"
#include "registrations.hpp"

namespace lighter::torch_nn {

namespace {
using namespace lighter::param;

Param weight() { return optional_tensor("weight", "per-class rescaling weights"); }
Param ignore_index() { return integer("ignore_index", -100, "target value that contributes no loss"); }
}  // namespace

void register_losses(Registrar& r) {
  r.add<Module>("torch.nn.CrossEntropyLoss", "cross entropy between logits and class indices (or probabilities)",
                {weight(), ignore_index(), reduction_param(),
                 real("label_smoothing", 0.0, "amount of smoothing in [0, 1]")},
                [](const Args& a) {
                  return make_module(torch::nn::CrossEntropyLoss(torch::nn::CrossEntropyLossOptions()
                                                                     .weight(tensor_of(a, "weight"))
                                                                     .ignore_index(a.get<int64_t>("ignore_index"))
                                                                     .reduction(reduction_of(a))
                                                                     .label_smoothing(probability(a, "label_smoothing"))));
                });
  r.add<Module>("torch.nn.NLLLoss", "negative log likelihood of log-probabilities and class indices",
                {weight(), ignore_index(), reduction_param()}, [](const Args& a) {
                  return make_module(torch::nn::NLLLoss(torch::nn::NLLLossOptions()
                                                            .weight(tensor_of(a, "weight"))
                                                            .ignore_index(a.get<int64_t>("ignore_index"))
                                                            .reduction(reduction_of(a))));
                });
  r.add<Module>("torch.nn.MSELoss", "mean squared error", {reduction_param()}, [](const Args& a) {
    return make_module(torch::nn::MSELoss(torch::nn::MSELossOptions().reduction(reduction_of(a))));
  });
  r.add<Module>("torch.nn.L1Loss", "mean absolute error", {reduction_param()}, [](const Args& a) {
    return make_module(torch::nn::L1Loss(torch::nn::L1LossOptions().reduction(reduction_of(a))));
  });
  r.add<Module>("torch.nn.SmoothL1Loss", "squared error below beta, absolute error above",
                {reduction_param(), real("beta", 1.0, "threshold between the L2 and L1 regions (>= 0)")},
                [](const Args& a) {
                  const double beta = a.get<double>("beta");
                  if (beta < 0) a.fail("beta", "expected a number >= 0, got " + std::to_string(beta));
                  return make_module(
                      torch::nn::SmoothL1Loss(torch::nn::SmoothL1LossOptions().reduction(reduction_of(a)).beta(beta)));
                });
  r.add<Module>("torch.nn.BCEWithLogitsLoss", "binary cross entropy on logits (sigmoid built in)",
                {optional_tensor("weight", "rescaling weight of each batch element"), reduction_param(),
                 optional_tensor("pos_weight", "weight of positive examples, one per class")},
                [](const Args& a) {
                  return make_module(torch::nn::BCEWithLogitsLoss(torch::nn::BCEWithLogitsLossOptions()
                                                                      .weight(tensor_of(a, "weight"))
                                                                      .reduction(reduction_of(a))
                                                                      .pos_weight(tensor_of(a, "pos_weight"))));
                });
}

}  // namespace lighter::torch_nn
