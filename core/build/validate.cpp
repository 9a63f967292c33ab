#include "build/validate.hpp"

#include <algorithm>
#include <cmath>

#include "config/error.hpp"
#include "config/keypath.hpp"

namespace lighter::host {

namespace {

const char* const kSpecialKeys[] = {"_target_", "_args_", "_disabled_", "_mode_"};

bool is_special(const std::string& key) {
  for (const char* special : kSpecialKeys)
    if (key == special) return true;
  return false;
}

// A float parameter takes finite numbers only, unless it opts in with param::allow_nonfinite.
void check_finite(const Value& value, Type type, Type element_type, const std::string& path, const cfg::Location& where,
                  const Param& param) {
  if (accepts(type, Type::NonFinite)) return;
  if (value.is_float() && !std::isfinite(value.as_number()))
    throw cfg::ConfigError("expected a finite number, got " + value.repr(), path, where,
                           param.doc.empty() ? "" : param.name + ": " + param.doc);
  if (value.is_array())
    for (size_t i = 0; i < value.as_array().size(); ++i)
      check_finite(value.as_array()[i], element_type, element_type, cfg::join_key_path(path, std::to_string(i)), where,
                   param);
}

}  // namespace

bool is_disabled(const cfg::Node& table, const std::string& path) {
  const cfg::Node* flag = table.find("_disabled_");
  if (!flag) return false;
  if (!flag->is_bool())
    throw cfg::ConfigError("_disabled_ must be true or false, got " + std::string(flag->type_name()),
                           cfg::join_key_path(path, "_disabled_"), flag->loc);
  return flag->as_bool();
}

void validate_keys(const cfg::Node& table, const std::string& path, const ComponentInfo& info,
                   const std::function<void(const cfg::ConfigError&)>& report) {
  std::vector<std::string> known;
  for (const auto& p : info.params) known.push_back(p.name);
  for (const auto& [key, value] : table.table()) {
    if (key == "_args_" && !info.positional)
      report(cfg::ConfigError(info.name + " takes no positional arguments (_args_)", cfg::join_key_path(path, key),
                              value.loc,
                              "pass them by name: " +
                                  (known.empty() ? std::string("it has no parameters") : cfg::quoted_list(known))));
    if (is_special(key)) continue;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string hint = cfg::suggest(key, known);
      if (hint.empty()) hint = known.empty() ? "it takes no parameters" : "its parameters: " + cfg::quoted_list(known);
      report(cfg::ConfigError("unknown parameter of " + info.name, cfg::join_key_path(path, key), value.loc, hint));
    }
  }
  for (const auto& p : info.params)
    if (p.required() && !table.find(p.name))
      report(cfg::ConfigError("missing required parameter '" + p.name + "' of " + info.name +
                                  (p.doc.empty() ? "" : " (" + p.doc + ")"),
                              path, table.loc, "add " + p.name + " = <" + type_description(p.type) + ">"));
}

void check_value(const Value& value, const Param& param, const std::string& path, const cfg::Location& where) {
  const Type t = type_of(value);
  if (!accepts(param.type, t))
    throw cfg::ConfigError("expected " + type_description(param.type) + ", got " + value.type_name() + " " + value.repr(),
                           path, where, param.doc.empty() ? "" : param.name + ": " + param.doc);
  if (t == Type::List && param.element_type != Type::Any)
    for (size_t i = 0; i < value.as_array().size(); ++i) {
      const Value& item = value.as_array()[i];
      if (!accepts(param.element_type, type_of(item)))
        throw cfg::ConfigError("expected a list of " + type_description(param.element_type) + ", got " + item.type_name() +
                                   " " + item.repr() + " at index " + std::to_string(i),
                               cfg::join_key_path(path, std::to_string(i)), where);
    }
  check_finite(value, param.type, param.element_type, path, where, param);
  if (param.check && !value.is_null()) {
    std::string expected = param.check(value);
    if (!expected.empty())
      throw cfg::ConfigError("expected " + expected + ", got " + value.repr(), path, where);
  }
}

void check_kind(const ObjectPtr& object, std::optional<Kind> kind, const std::string& path, const cfg::Location& where) {
  if (object && kind && object->kind() != *kind)
    throw cfg::ConfigError(object->target() + " is a " + kind_name(object->kind()) + ", but a " + kind_name(*kind) +
                               " is expected here",
                           path, where);
}

std::string unknown_target_hint(const std::string& target, const ComponentRegistry& registry) {
  const auto names = registry.names();
  std::string hint = cfg::suggest(target, names);
  if (!hint.empty()) return hint;
  const auto dot = target.rfind('.');
  if (dot != std::string::npos) {
    const std::string family = target.substr(0, dot + 1);
    std::vector<std::string> same;
    for (const auto& n : names)
      if (n.rfind(family, 0) == 0) same.push_back(n);
    if (!same.empty()) return "known in " + family + "*: " + cfg::quoted_list(same, 8);
  }
  if (target.rfind("project.", 0) == 0)
    return "project components come from the plugins named by __lighter__.toml in the working directory";
  return "`lighter-host plugins` lists every component";
}

}  // namespace lighter::host
