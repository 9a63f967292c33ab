#include "lighter/params.hpp"

#include <algorithm>

namespace lighter {

std::string type_description(Type type) {
  if (type == Type::Any) return "any";
  static const std::pair<Type, const char*> names[] = {
      {Type::Bool, "boolean"}, {Type::Int, "integer"}, {Type::Float, "float"},        {Type::String, "string"},
      {Type::List, "list"},    {Type::Table, "table"}, {Type::Component, "component"}, {Type::Null, "null"},
  };
  std::string out;
  for (const auto& [t, name] : names) {
    if (!accepts(type, t)) continue;
    if (t == Type::Int && accepts(type, Type::Float)) continue;  // "float" already says it
    out += (out.empty() ? "" : " or ") + std::string(name);
  }
  return out;
}

Type type_of(const Value& v) {
  if (v.is_null()) return Type::Null;
  if (v.is_bool()) return Type::Bool;
  if (v.is_int()) return Type::Int;
  if (v.is_float()) return Type::Float;
  if (v.is_string()) return Type::String;
  if (v.is_array()) return Type::List;
  return Type::Table;
}

namespace param {

Param required(std::string name, Type type, std::string doc) {
  Param p;
  p.name = std::move(name);
  p.type = type;
  p.doc = std::move(doc);
  return p;
}

template <class T>
static Param with_default(std::string name, Type type, const std::optional<T>& value, std::string doc) {
  Param p = required(std::move(name), type, std::move(doc));
  if (value) p.default_value = Value(*value);
  return p;
}

Param boolean(std::string name, bool value, std::string doc) {
  return with_default<bool>(std::move(name), Type::Bool, value, std::move(doc));
}
Param integer(std::string name, std::optional<int64_t> value, std::string doc) {
  return with_default(std::move(name), Type::Int, value, std::move(doc));
}
Param real(std::string name, std::optional<double> value, std::string doc) {
  return with_default(std::move(name), Type::Float | Type::Int, value, std::move(doc));
}
Param string(std::string name, std::optional<std::string> value, std::string doc) {
  return with_default(std::move(name), Type::String, value, std::move(doc));
}
Param choice(std::string name, std::vector<std::string> choices, std::optional<std::string> value, std::string doc) {
  Param p = with_default(std::move(name), Type::String, value, std::move(doc));
  p.check = [choices](const Value& v) -> std::string {
    if (std::find(choices.begin(), choices.end(), v.as_string()) != choices.end()) return "";
    std::string expected = "one of";
    for (const auto& c : choices) expected += " '" + c + "'";
    return expected;
  };
  return p;
}
Param list(std::string name, Type element_type, std::optional<Value> value, std::string doc) {
  Param p = with_default(std::move(name), Type::List, value, std::move(doc));
  p.element_type = element_type;
  return p;
}
Param component(std::string name, Kind kind, std::string doc, bool optional) {
  Param p = required(std::move(name), optional ? (Type::Component | Type::Null) : Type::Component, std::move(doc));
  p.component_kind = kind;
  if (optional) p.default_value = Value();
  return p;
}
Param components(std::string name, Kind kind, std::string doc) {
  Param p = list(std::move(name), Type::Component, Value(Value::Array{}), std::move(doc));
  p.component_kind = kind;
  return p;
}
Param any(std::string name, std::optional<Value> value, std::string doc) {
  return with_default(std::move(name), Type::Any, value, std::move(doc));
}
Param allow_nonfinite(Param p) {
  p.type = p.type | Type::NonFinite;
  p.element_type = p.element_type | Type::NonFinite;
  return p;
}

}  // namespace param
}  // namespace lighter
