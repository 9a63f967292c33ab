// torch.nn layers without spatial structure: Linear, Embedding, normalisation, dropout,
// Flatten and Identity.
#include <lighter/module.hpp>

#include "arguments.hpp"
#include "registrations.hpp"

namespace lighter::torch_nn {

namespace {
using namespace lighter::param;

void register_linear(Registrar& r) {
  r.add<Module>("torch.nn.Linear", "y = x W^T + b",
                {integer("in_features", std::nullopt, "size of each input sample"),
                 integer("out_features", std::nullopt, "size of each output sample"),
                 boolean("bias", true, "learn an additive bias")},
                [](const Args& a) {
                  return make_module(torch::nn::Linear(
                      torch::nn::LinearOptions(int_at_least(a, "in_features", 0), int_at_least(a, "out_features", 0))
                          .bias(a.get<bool>("bias"))));
                });
  r.add<Module>("torch.nn.Embedding", "lookup table of embeddings, indexed by integer (long) tensors",
                {integer("num_embeddings", std::nullopt, "size of the dictionary"),
                 integer("embedding_dim", std::nullopt, "size of each embedding vector"),
                 or_null(integer("padding_idx", std::nullopt, "index whose embedding gets no gradient")),
                 or_null(real("max_norm", std::nullopt, "renormalise embeddings whose norm exceeds this")),
                 allow_nonfinite(real("norm_type", 2.0, "p of the p-norm for max_norm (inf: the max norm)")),
                 boolean("scale_grad_by_freq", false, "scale gradients by inverse word frequency"),
                 boolean("sparse", false, "sparse gradient for the weight")},
                [](const Args& a) {
                  auto options = torch::nn::EmbeddingOptions(int_at_least(a, "num_embeddings", 1),
                                                             int_at_least(a, "embedding_dim", 1))
                                     .norm_type(a.get<double>("norm_type"))
                                     .scale_grad_by_freq(a.get<bool>("scale_grad_by_freq"))
                                     .sparse(a.get<bool>("sparse"));
                  if (auto idx = a.get_optional<int64_t>("padding_idx")) options.padding_idx(*idx);
                  if (auto norm = a.get_optional<double>("max_norm")) options.max_norm(*norm);
                  return make_module(torch::nn::Embedding(options));
                });
}

std::vector<Param> batch_norm_params() {
  return {integer("num_features", std::nullopt, "C of the expected (N, C, ...) input"),
          real("eps", 1e-5, "added to the variance for numerical stability"),
          or_null(real("momentum", 0.1, "running-statistics momentum (null: cumulative average)")),
          boolean("affine", true, "learn a per-channel scale and shift"),
          boolean("track_running_stats", true, "track running mean and variance for evaluation")};
}

template <class Holder, class Options>
std::shared_ptr<Module> make_batch_norm(const Args& a) {
  Options options(int_at_least(a, "num_features", 1));
  auto momentum = a.get_optional<double>("momentum");
  options.eps(a.get<double>("eps"))
      .momentum(momentum ? c10::optional<double>(*momentum) : c10::nullopt)
      .affine(a.get<bool>("affine"))
      .track_running_stats(a.get<bool>("track_running_stats"));
  return make_module(Holder(options));
}

void register_norms(Registrar& r) {
  r.add<Module>("torch.nn.BatchNorm1d", "batch normalisation over (N, C) or (N, C, L) input", batch_norm_params(),
                make_batch_norm<torch::nn::BatchNorm1d, torch::nn::BatchNorm1dOptions>);
  r.add<Module>("torch.nn.BatchNorm2d", "batch normalisation over (N, C, H, W) input", batch_norm_params(),
                make_batch_norm<torch::nn::BatchNorm2d, torch::nn::BatchNorm2dOptions>);

  Param shape = required("normalized_shape", Type::Int | Type::List, "trailing shape to normalise over");
  shape.element_type = Type::Int;
  r.add<Module>("torch.nn.LayerNorm", "layer normalisation over the trailing normalized_shape",
                {shape, real("eps", 1e-5, "added to the variance for numerical stability"),
                 boolean("elementwise_affine", true, "learn a per-element scale and shift")},
                [](const Args& a) {
                  Value v = a.get<Value>("normalized_shape");
                  std::vector<int64_t> dims = v.is_int() ? std::vector<int64_t>{v.as_int()}
                                                         : a.get<std::vector<int64_t>>("normalized_shape");
                  if (dims.empty()) a.fail("normalized_shape", "expected at least one dimension");
                  for (int64_t d : dims)
                    if (d < 1) a.fail("normalized_shape", "expected sizes >= 1, got " + v.repr());
                  return make_module(torch::nn::LayerNorm(torch::nn::LayerNormOptions(dims)
                                                              .eps(a.get<double>("eps"))
                                                              .elementwise_affine(a.get<bool>("elementwise_affine"))));
                });
}

void register_dropout_and_shape(Registrar& r) {
  r.add<Module>("torch.nn.Dropout", "zeroes elements with probability p while training",
                {real("p", 0.5, "probability of an element to be zeroed"), boolean("inplace", false, "operate in place")},
                [](const Args& a) {
                  return make_module(torch::nn::Dropout(
                      torch::nn::DropoutOptions(probability(a, "p")).inplace(a.get<bool>("inplace"))));
                });
  r.add<Module>("torch.nn.Dropout2d", "zeroes whole channels with probability p while training",
                {real("p", 0.5, "probability of a channel to be zeroed"), boolean("inplace", false, "operate in place")},
                [](const Args& a) {
                  return make_module(torch::nn::Dropout2d(
                      torch::nn::Dropout2dOptions(probability(a, "p")).inplace(a.get<bool>("inplace"))));
                });
  r.add<Module>("torch.nn.Flatten", "flattens dims start_dim..end_dim into one",
                {integer("start_dim", 1, "first dim to flatten"), integer("end_dim", -1, "last dim to flatten")},
                [](const Args& a) {
                  return make_module(torch::nn::Flatten(
                      torch::nn::FlattenOptions().start_dim(a.get<int64_t>("start_dim")).end_dim(a.get<int64_t>("end_dim"))));
                });
  r.add<Module>("torch.nn.Identity", "returns its input unchanged", {},
                [](const Args&) { return make_module(torch::nn::Identity()); });
}
}  // namespace

void register_layers(Registrar& registrar) {
  register_linear(registrar);
  register_norms(registrar);
  register_dropout_and_shape(registrar);
}

}  // namespace lighter::torch_nn
