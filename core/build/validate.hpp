#pragma once
// Checks of a component's config table against its declared parameters.
#include <functional>
#include <optional>
#include <string>

#include "config/error.hpp"
#include "config/node.hpp"
#include "lighter/object.hpp"
#include "lighter/params.hpp"
#include "plugins/registry.hpp"

namespace lighter::host {

// `_disabled_ = true`; a non-boolean `_disabled_` is an error.
bool is_disabled(const cfg::Node& table, const std::string& path);
// Unknown keys (with did-you-mean), `_args_` where none are taken, missing required keys: each
// one is handed to `report` (which may throw to stop at the first).
void validate_keys(const cfg::Node& table, const std::string& path, const ComponentInfo& info,
                   const std::function<void(const cfg::ConfigError&)>& report);
// A value's type against a declaration ("expected integer, got string \"x\"").
void check_value(const Value& value, const Param& param, const std::string& path, const cfg::Location& where);
void check_kind(const ObjectPtr& object, std::optional<Kind> kind, const std::string& path, const cfg::Location& where);
// "did you mean ..." over registered names, or the names of the same family ("torch.nn.*").
std::string unknown_target_hint(const std::string& target, const ComponentRegistry& registry);

}  // namespace lighter::host
