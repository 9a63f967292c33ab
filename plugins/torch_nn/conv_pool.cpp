// torch.nn convolutions and pooling: Conv1d, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
#include <lighter/module.hpp>

#include "arguments.hpp"
#include "registrations.hpp"
#include "lighter/torch_compat.hpp"

namespace lighter::torch_nn {

namespace {
using namespace lighter::param;

std::vector<Param> conv_params(size_t dims) {
  return {integer("in_channels", std::nullopt, "channels of the input"),
          integer("out_channels", std::nullopt, "channels produced by the convolution"),
          int_or_list("kernel_size", dims, std::nullopt, "size of the convolving kernel"),
          int_or_list("stride", dims, Value(1), "stride of the convolution"),
          conv_padding(dims),
          int_or_list("dilation", dims, Value(1), "spacing between kernel elements"),
          integer("groups", 1, "blocked connections from input to output channels"),
          boolean("bias", true, "learn an additive bias"),
          choice("padding_mode", {"zeros", "reflect", "replicate", "circular"}, "zeros", "how padding is filled")};
}

torch::nn::detail::conv_padding_mode_t padding_mode_of(const Args& a) {
  const std::string mode = a.get<std::string>("padding_mode");
  if (mode == "reflect") return torch::kReflect;
  if (mode == "replicate") return torch::kReplicate;
  if (mode == "circular") return torch::kCircular;
  return torch::kZeros;
}

template <size_t D, class Holder>
std::shared_ptr<Module> make_conv(const Args& a) {
  const int64_t in = int_at_least(a, "in_channels", 1), out = int_at_least(a, "out_channels", 1);
  const int64_t groups = int_at_least(a, "groups", 1);
  if (in % groups != 0 || out % groups != 0)
    a.fail("groups", "in_channels and out_channels must both be divisible by groups (" + std::to_string(groups) + ")");
  torch::nn::ConvOptions<D> options(in, out, expanding<D>(a, "kernel_size", 1));
  options.stride(expanding<D>(a, "stride", 1))
      .padding(conv_padding_of<D>(a))
      .dilation(expanding<D>(a, "dilation", 1))
      .groups(groups)
      .bias(a.get<bool>("bias"))
      .padding_mode(padding_mode_of(a));
  if (compat::variant_get_if<torch::enumtype::kSame>(&options.padding())) {
    for (int64_t s : *options.stride())
      if (s != 1) a.fail("padding", "'same' padding needs stride 1");
  }
  return make_module(Holder(options));
}

// Python raises at the first forward; failing at construction points at the config instead.
template <size_t D>
void check_pool_padding(const Args& a, const torch::ExpandingArray<D>& kernel, const torch::ExpandingArray<D>& padding) {
  for (size_t i = 0; i < D; ++i)
    if ((*padding)[i] * 2 > (*kernel)[i]) a.fail("padding", "expected at most half the kernel size");
}

void register_pools(Registrar& r) {
  r.add<Module>("torch.nn.MaxPool2d", "2-D max pooling",
                {int_or_list("kernel_size", 2, std::nullopt, "size of the pooling window"),
                 int_or_list("stride", 2, Value(), "stride of the window (null: kernel_size)"),
                 int_or_list("padding", 2, Value(0), "implicit negative-infinity padding on both sides"),
                 int_or_list("dilation", 2, Value(1), "spacing between window elements"),
                 boolean("ceil_mode", false, "use ceil instead of floor for the output shape")},
                [](const Args& a) {
                  auto kernel = expanding<2>(a, "kernel_size", 1);
                  auto padding = expanding<2>(a, "padding", 0);
                  auto dilation = expanding<2>(a, "dilation", 1);
                  check_pool_padding<2>(a, kernel, padding);
                  return make_module(torch::nn::MaxPool2d(
                      torch::nn::MaxPool2dOptions(kernel)
                          .stride(a.has("stride") ? expanding<2>(a, "stride", 1) : kernel)
                          .padding(padding)
                          .dilation(dilation)
                          .ceil_mode(a.get<bool>("ceil_mode"))));
                });
  r.add<Module>("torch.nn.AvgPool2d", "2-D average pooling",
                {int_or_list("kernel_size", 2, std::nullopt, "size of the pooling window"),
                 int_or_list("stride", 2, Value(), "stride of the window (null: kernel_size)"),
                 int_or_list("padding", 2, Value(0), "implicit zero padding on both sides"),
                 boolean("ceil_mode", false, "use ceil instead of floor for the output shape"),
                 boolean("count_include_pad", true, "include the zero padding in the average"),
                 or_null(integer("divisor_override", std::nullopt, "divide by this instead of the window size"))},
                [](const Args& a) {
                  auto kernel = expanding<2>(a, "kernel_size", 1);
                  auto padding = expanding<2>(a, "padding", 0);
                  check_pool_padding<2>(a, kernel, padding);
                  auto options = torch::nn::AvgPool2dOptions(kernel)
                                     .stride(a.has("stride") ? expanding<2>(a, "stride", 1) : kernel)
                                     .padding(padding)
                                     .ceil_mode(a.get<bool>("ceil_mode"))
                                     .count_include_pad(a.get<bool>("count_include_pad"));
                  if (a.has("divisor_override")) options.divisor_override(int_at_least(a, "divisor_override", 1));
                  return make_module(torch::nn::AvgPool2d(options));
                });
  r.add<Module>("torch.nn.AdaptiveAvgPool2d", "2-D average pooling to a fixed output size",
                {int_or_list("output_size", 2, std::nullopt, "target output size (H, W)")},
                [](const Args& a) {
                  return make_module(torch::nn::AdaptiveAvgPool2d(
                      torch::nn::AdaptiveAvgPool2dOptions(ints_of(a, "output_size", 2, 1))));
                });
}
}  // namespace

void register_conv_pool(Registrar& r) {
  r.add<Module>("torch.nn.Conv1d", "1-D convolution over (N, C, L) input", conv_params(1),
                make_conv<1, torch::nn::Conv1d>);
  r.add<Module>("torch.nn.Conv2d", "2-D convolution over (N, C, H, W) input", conv_params(2),
                make_conv<2, torch::nn::Conv2d>);
  register_pools(r);
}

}  // namespace lighter::torch_nn
