#pragma once
// What the torchvision transforms share: the deterministic base, and parameter shapes (sizes,
// paddings, [min, max] ranges, interpolation modes).
#include <lighter/sdk.hpp>

#include <optional>
#include <string>
#include <vector>

#include "padding.hpp"

namespace lighter::torchvision {

// A transform that draws nothing and treats a batch [B, ..., H, W] like one more leading dimension.
class DeterministicTransform : public Transform {
 public:
  bool random() const override { return false; }
  torch::Tensor apply_batch(const torch::Tensor& batch, torch::Generator& generator) const override {
    return apply(batch, generator);
  }
};

// An int or a list of ints (size, padding, ...); a default of null makes it optional.
Param int_or_list(std::string name, std::optional<Value> default_value, std::string doc);
// An optional int (null by default).
Param optional_int(std::string name, std::string doc);
// A number or a list of numbers (ColorJitter's brightness, RandomRotation's degrees, ...).
Param number_or_list(std::string name, std::optional<Value> default_value, std::string doc);

// The ints of an int_or_list parameter, each >= 0 (else a.fail saying `expected`).
std::vector<int64_t> ints(const Args& a, const std::string& key, const char* expected);

// An output size: one int for a square, or [h, w]; each >= 1.
struct Size {
  int64_t height = 0, width = 0;
};
Size size_of(const Args& a, const std::string& key = "size");

// torchvision's padding: one int for every side, [left/right, top/bottom] or [left, top, right, bottom].
Padding padding_of(const Args& a, const std::string& key = "padding");
Param padding_mode_param();  // constant, edge, reflect, symmetric (and replicate, the same as edge)
PaddingMode padding_mode_of(const Args& a);

// A [min, max] pair of numbers, min <= max.
std::pair<double, double> range_of(const Args& a, const std::string& key);

// InterpolationMode values as strings; resizing offers more modes than rotating.
enum class Interpolation { Nearest, NearestExact, Bilinear, Bicubic };
Param interpolation_param(std::vector<std::string> modes, std::string default_mode);
Interpolation interpolation_of(const Args& a);

}  // namespace lighter::torchvision
