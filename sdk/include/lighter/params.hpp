#pragma once
// Parameter declarations: every component lists its parameters so the host can reject unknown
// keys (with a suggestion), wrong types and missing required keys before the factory runs, and
// so `lighter-host plugins --describe NAME` can document them.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lighter/object.hpp"
#include "lighter/value.hpp"

namespace lighter {

class Args;

// Accepted types are flags so a parameter can accept several ("int or float", "component or
// null"). Float accepts integers too.
enum class Type : unsigned {
  Null = 1u << 0,
  Bool = 1u << 1,
  Int = 1u << 2,
  Float = 1u << 3,
  String = 1u << 4,
  List = 1u << 5,
  Table = 1u << 6,
  Component = 1u << 7,  // a `_target_` table or an `@reference` to one
  NonFinite = 1u << 8,  // with Float: inf and nan are accepted too (else they are config errors)
  Any = 0xffffu,
};
inline constexpr Type operator|(Type a, Type b) {
  return static_cast<Type>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
inline constexpr bool accepts(Type set, Type t) {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(t)) != 0;
}
std::string type_description(Type type);
// The Type flag a plain value has (a table counts as Table, never Component).
Type type_of(const Value& value);

struct Param {
  std::string name;
  Type type = Type::Any;
  std::optional<Value> default_value;  // nullopt: required
  std::string doc;
  // For Type::Component (and lists of components): the role the nested object must play.
  std::optional<Kind> component_kind;
  // For Type::List: the type of each element (Component lists name their kind above).
  Type element_type = Type::Any;
  // Optional extra check; return an empty string when fine, else what was expected.
  std::function<std::string(const Value&)> check;

  bool required() const { return !default_value.has_value(); }
};

// Chained builders so declarations read like the parameter list of the Python class:
//   param::real("lr", 1e-3, "learning rate"), param::component("network", Kind::Module, "...")
namespace param {
Param required(std::string name, Type type, std::string doc);
Param boolean(std::string name, bool default_value, std::string doc);
Param integer(std::string name, std::optional<int64_t> default_value, std::string doc);
Param real(std::string name, std::optional<double> default_value, std::string doc);
Param string(std::string name, std::optional<std::string> default_value, std::string doc);
Param choice(std::string name, std::vector<std::string> choices, std::optional<std::string> default_value,
             std::string doc);
Param list(std::string name, Type element_type, std::optional<Value> default_value, std::string doc);
// A nested component; `optional` components default to null.
Param component(std::string name, Kind kind, std::string doc, bool optional = false);
Param components(std::string name, Kind kind, std::string doc);  // list, defaults to []
Param any(std::string name, std::optional<Value> default_value, std::string doc);
// The parameter (a float, or a list of floats) also accepts inf, -inf and nan.
Param allow_nonfinite(Param p);
}  // namespace param

using Factory = std::function<ObjectPtr(const Args&)>;

struct ComponentInfo {
  std::string name;  // `_target_` name: "torch.nn.Linear", or "Net" (a project plugin's "project.Net")
  Kind kind = Kind::Other;
  std::string doc;
  std::vector<Param> params;
  // `_args_` positional arguments: accepted when set, with this element declaration.
  std::optional<Param> positional;
  Factory factory;
};

}  // namespace lighter
