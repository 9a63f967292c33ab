#pragma once
#include <optional>
#include <string>

#include "config/node.hpp"

namespace lighter::host {

// "@a::b" -> "a::b"; nullopt for any other string.
std::optional<std::string> reference_path(const cfg::Node& node);

// The config `--print-config` shows: every "@path" that points at plain data is replaced by a
// copy of that data (itself expanded); references to components stay references, since they
// mean one shared instance. Missing targets and cycles are ConfigErrors, as when building.
cfg::Node expand_plain_references(const cfg::Node& root);

}  // namespace lighter::host
