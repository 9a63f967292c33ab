#pragma once
// Parameter shapes torch.nn takes beyond plain scalars: Python's `int | tuple[int, ...]`,
// `reduction` and optional per-class weight lists.
#include <lighter/args.hpp>
#include <lighter/params.hpp>
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace lighter::torch_nn {

// Python's `x: T | None = default`: also accepts null; without a default, defaults to null.
Param or_null(Param p);

// An integer parameter that must be >= min (sizes, counts).
int64_t int_at_least(const Args& args, const std::string& key, int64_t min);
// A probability in [0, 1] (dropout's p).
double probability(const Args& args, const std::string& key);

// `kernel_size = 3` or `kernel_size = [3, 5]`: an int or a list of `dims` ints. A null default
// stands for Python's None (e.g. a pool's stride, which then follows kernel_size).
Param int_or_list(std::string name, size_t dims, std::optional<Value> default_value, std::string doc);

// The value of an int_or_list parameter expanded to `dims` entries, each >= min.
std::vector<int64_t> ints_of(const Args& args, const std::string& key, size_t dims, int64_t min);

template <size_t D>
torch::ExpandingArray<D> expanding(const Args& args, const std::string& key, int64_t min) {
  return torch::ExpandingArray<D>(ints_of(args, key, D, min));
}

// Convolution padding: an int, a list of `dims` ints, or "same" / "valid".
Param conv_padding(size_t dims);
template <size_t D>
torch::nn::detail::conv_padding_t<D> conv_padding_of(const Args& args) {
  Value v = args.get<Value>("padding");
  if (v.is_string()) {
    if (v.as_string() == "same") return torch::kSame;
    if (v.as_string() == "valid") return torch::kValid;
    args.fail("padding", "expected an integer, a list of " + std::to_string(D) +
                             " integers, 'same' or 'valid', got " + v.repr());
  }
  return expanding<D>(args, "padding", 0);
}

// kNone | kMean | kSum; every loss shares MSELoss's variant type.
using Reduction = torch::nn::MSELossOptions::reduction_t;
Param reduction_param();
Reduction reduction_of(const Args& args);

// An optional list of numbers as a float tensor (per-class `weight`, `pos_weight`); undefined
// when null.
Param optional_tensor(std::string name, std::string doc);
torch::Tensor tensor_of(const Args& args, const std::string& key);

}  // namespace lighter::torch_nn
