#include "arguments.hpp"

namespace lighter::torch_nn {

namespace {
std::string expected_ints(size_t dims) {
  return "an integer or a list of " + std::to_string(dims) + " integers";
}

bool is_int_or_list(const Value& v, size_t dims) {
  if (v.is_int()) return true;
  if (!v.is_array() || v.as_array().size() != dims) return false;
  for (const auto& e : v.as_array())
    if (!e.is_int()) return false;
  return true;
}
}  // namespace

Param or_null(Param p) {
  p.type = p.type | Type::Null;
  if (!p.default_value) p.default_value = Value();
  return p;
}

int64_t int_at_least(const Args& args, const std::string& key, int64_t min) {
  auto v = args.get<int64_t>(key);
  if (v < min) args.fail(key, "expected an integer >= " + std::to_string(min) + ", got " + std::to_string(v));
  return v;
}

double probability(const Args& args, const std::string& key) {
  auto v = args.get<double>(key);
  if (!(v >= 0.0 && v <= 1.0)) args.fail(key, "expected a probability between 0 and 1, got " + std::to_string(v));
  return v;
}

Param int_or_list(std::string name, size_t dims, std::optional<Value> default_value, std::string doc) {
  Param p = param::any(std::move(name), std::move(default_value), std::move(doc));
  p.type = Type::Int | Type::List;
  if (p.default_value && p.default_value->is_null()) p.type = p.type | Type::Null;
  p.element_type = Type::Int;
  p.check = [dims](const Value& v) { return v.is_null() || is_int_or_list(v, dims) ? "" : expected_ints(dims); };
  return p;
}

std::vector<int64_t> ints_of(const Args& args, const std::string& key, size_t dims, int64_t min) {
  Value v = args.get<Value>(key);
  if (!is_int_or_list(v, dims)) args.fail(key, "expected " + expected_ints(dims) + ", got " + v.repr());
  std::vector<int64_t> out;
  if (v.is_int()) out.assign(dims, v.as_int());
  else
    for (const auto& e : v.as_array()) out.push_back(e.as_int());
  for (int64_t x : out)
    if (x < min) args.fail(key, "expected values >= " + std::to_string(min) + ", got " + v.repr());
  return out;
}

Param conv_padding(size_t dims) {
  Param p = int_or_list("padding", dims, Value(0), "zero-padding added to both sides, or 'same' / 'valid'");
  p.type = p.type | Type::String;
  p.check = [dims](const Value& v) -> std::string {
    if (v.is_string()) return v.as_string() == "same" || v.as_string() == "valid" ? "" : "'same' or 'valid'";
    return is_int_or_list(v, dims) ? "" : expected_ints(dims) + ", 'same' or 'valid'";
  };
  return p;
}

Param reduction_param() {
  return param::choice("reduction", {"none", "mean", "sum"}, "mean", "how per-element losses are reduced");
}

Reduction reduction_of(const Args& args) {
  const std::string r = args.get<std::string>("reduction");
  if (r == "none") return torch::kNone;
  if (r == "sum") return torch::kSum;
  if (r == "mean") return torch::kMean;
  args.fail("reduction", "expected one of 'none' 'mean' 'sum', got '" + r + "'");
}

Param optional_tensor(std::string name, std::string doc) {
  Param p = param::list(std::move(name), Type::Float | Type::Int, Value(), std::move(doc));
  p.type = Type::List | Type::Null;
  return p;
}

torch::Tensor tensor_of(const Args& args, const std::string& key) {
  auto values = args.get_optional<std::vector<double>>(key);
  if (!values) return {};
  if (values->empty()) args.fail(key, "expected a non-empty list of numbers");
  return torch::tensor(*values, torch::kFloat);
}

}  // namespace lighter::torch_nn
