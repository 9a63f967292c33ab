#include "ivalues.hpp"

#include <stdexcept>

namespace lighter::torch_optim {

namespace {
[[noreturn]] void wrong(const c10::IValue& value, const std::string& what, const char* expected) {
  throw std::runtime_error(what + ": expected " + expected + ", got " + value.tagKind());
}
}  // namespace

const c10::IValue* find(const GenericDict& dict, const std::string& key) {
  auto it = dict.find(c10::IValue(key));
  return it == dict.end() ? nullptr : &it->value();
}

const c10::IValue& require(const GenericDict& dict, const std::string& key, const std::string& where) {
  if (const c10::IValue* value = find(dict, key)) return *value;
  throw std::runtime_error(where + " has no '" + key + "' entry");
}

const c10::IValue& require(const Dict& dict, const std::string& key, const std::string& where) {
  if (const c10::IValue* value = dict.find(key)) return *value;
  std::string keys;
  for (const auto& k : dict.keys()) keys += (keys.empty() ? "" : ", ") + k;
  throw std::runtime_error(where + " has no '" + key + "' entry (it has: " + keys + ")");
}

double to_double(const c10::IValue& value, const std::string& what) {
  if (value.isDouble()) return value.toDouble();
  if (value.isInt()) return static_cast<double>(value.toInt());
  if (value.isBool()) return value.toBool() ? 1.0 : 0.0;
  if (value.isTensor() && value.toTensor().numel() == 1) return value.toTensor().item<double>();
  wrong(value, what, "a number");
}

int64_t to_int(const c10::IValue& value, const std::string& what) {
  if (value.isInt()) return value.toInt();
  const double number = to_double(value, what);  // Python 1.12+ keeps "step" as a float tensor
  const auto rounded = static_cast<int64_t>(number);
  if (static_cast<double>(rounded) != number) wrong(value, what, "a whole number");
  return rounded;
}

bool to_bool(const c10::IValue& value, const std::string& what) {
  if (value.isBool()) return value.toBool();
  if (value.isInt()) return value.toInt() != 0;
  wrong(value, what, "a boolean");
}

std::vector<c10::IValue> elements(const c10::IValue& list_or_tuple, const std::string& what) {
  if (list_or_tuple.isTuple()) {
    const auto& items = list_or_tuple.toTupleRef().elements();
    return std::vector<c10::IValue>(items.begin(), items.end());
  }
  if (list_or_tuple.isList()) {
    std::vector<c10::IValue> out;
    for (const c10::IValue& item : list_or_tuple.toListRef()) out.push_back(item);
    return out;
  }
  wrong(list_or_tuple, what, "a list");
}

std::vector<double> to_doubles(const c10::IValue& list_or_tuple, const std::string& what) {
  std::vector<double> out;
  for (const auto& item : elements(list_or_tuple, what)) out.push_back(to_double(item, what));
  return out;
}

std::optional<double> optional_double(const GenericDict& dict, const std::string& key, const std::string& where) {
  const c10::IValue* value = find(dict, key);
  if (!value || value->isNone()) return std::nullopt;
  return to_double(*value, where + "['" + key + "']");
}

std::optional<bool> optional_bool(const GenericDict& dict, const std::string& key, const std::string& where) {
  const c10::IValue* value = find(dict, key);
  if (!value || value->isNone()) return std::nullopt;
  return to_bool(*value, where + "['" + key + "']");
}

c10::IValue doubles(const std::vector<double>& values) {
  GenericList list(c10::FloatType::get());
  for (double v : values) list.push_back(v);
  return list;
}

}  // namespace lighter::torch_optim
