#include "transform_args.hpp"

namespace lighter::torchvision {

Param int_or_list(std::string name, std::optional<Value> default_value, std::string doc) {
  Param p = param::any(std::move(name), std::move(default_value), std::move(doc));
  p.type = Type::Int | Type::List;
  if (p.default_value) p.type = p.type | Type::Null;
  p.element_type = Type::Int;
  return p;
}

Param optional_int(std::string name, std::string doc) {
  Param p = param::any(std::move(name), Value(), std::move(doc));
  p.type = Type::Int | Type::Null;
  return p;
}

Param number_or_list(std::string name, std::optional<Value> default_value, std::string doc) {
  Param p = param::any(std::move(name), std::move(default_value), std::move(doc));
  p.type = Type::Int | Type::Float | Type::List;
  p.element_type = Type::Float;
  return p;
}

std::vector<int64_t> ints(const Args& a, const std::string& key, const char* expected) {
  Value v = a.get<Value>(key);
  std::vector<int64_t> out;
  if (v.is_int())
    out.push_back(v.as_int());
  else if (v.is_array())
    for (const auto& e : v.as_array()) out.push_back(e.is_int() ? e.as_int() : -1);
  for (int64_t x : out)
    if (x < 0) a.fail(key, std::string("expected ") + expected + ", got " + v.repr());
  return out;
}

Size size_of(const Args& a, const std::string& key) {
  const char* expected = "an integer >= 1 or a list [h, w] of them";
  auto size = ints(a, key, expected);
  if (size.empty() || size.size() > 2 || size[0] < 1 || size.back() < 1)
    a.fail(key, std::string("expected ") + expected + ", got " + a.get<Value>(key).repr());
  return {size.front(), size.back()};
}

Padding padding_of(const Args& a, const std::string& key) {
  if (!a.has(key)) return {};
  const char* expected = "an integer >= 0 or a list of 1, 2 or 4 of them";
  auto p = ints(a, key, expected);
  if (p.size() == 1) return {p[0], p[0], p[0], p[0]};
  if (p.size() == 2) return {p[0], p[1], p[0], p[1]};
  if (p.size() == 4) return {p[0], p[1], p[2], p[3]};
  a.fail(key, std::string("expected ") + expected + ", got " + a.get<Value>(key).repr());
}

Param padding_mode_param() {
  return param::choice("padding_mode", {"constant", "edge", "reflect", "symmetric", "replicate"}, "constant",
                       "how padding is filled (replicate: the same as edge)");
}

PaddingMode padding_mode_of(const Args& a) {
  const auto mode = a.get<std::string>("padding_mode");
  if (mode == "constant") return PaddingMode::Constant;
  if (mode == "reflect") return PaddingMode::Reflect;
  if (mode == "symmetric") return PaddingMode::Symmetric;
  return PaddingMode::Edge;  // "edge", or "replicate" as torch.nn.functional.pad calls it
}

std::pair<double, double> range_of(const Args& a, const std::string& key) {
  auto values = a.get<std::vector<double>>(key);
  if (values.size() != 2 || !(values[0] <= values[1]))
    a.fail(key, "expected a list [min, max] with min <= max, got " + a.get<Value>(key).repr());
  return {values[0], values[1]};
}

Param interpolation_param(std::vector<std::string> modes, std::string default_mode) {
  return param::choice("interpolation", std::move(modes), std::move(default_mode),
                       "torchvision's InterpolationMode, by its value");
}

Interpolation interpolation_of(const Args& a) {
  const auto mode = a.get<std::string>("interpolation");
  if (mode == "nearest") return Interpolation::Nearest;
  if (mode == "nearest-exact") return Interpolation::NearestExact;
  if (mode == "bicubic") return Interpolation::Bicubic;
  return Interpolation::Bilinear;
}

}  // namespace lighter::torchvision
