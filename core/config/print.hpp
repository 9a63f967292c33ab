// Node -> TOML or YAML text (for --print-config and the config.toml / config.yaml a run leaves).
#pragma once

#include <string>

#include "config/node.hpp"
#include "config/parse.hpp"  // Format

namespace lighter::cfg {

// TOML that parse_string reads back to an equal Node. Within each table, plain values come
// first, then sub-tables as `[a.b]` sections and lists of tables as `[[a.b]]` sections, each
// group in the tree's order; tables inside other lists are written inline. Floats are written
// in their shortest exact form; keys are quoted when not bare. Throws std::invalid_argument
// for a non-table root or a null value (TOML has no null).
std::string to_toml(const Node& root);

// YAML that parse_yaml_string reads back to an equal Node: block mappings and lists, lists of
// scalars inline (`[1, 2]`), strings unquoted where YAML reads them back as the same string,
// null as `null`. Throws std::invalid_argument for a non-table root.
std::string to_yaml(const Node& root);

// to_toml or to_yaml; a null value under TOML is a ConfigError naming its key (YAML can say it).
std::string to_text(const Node& root, Format format);
// True when a value anywhere below `root` is null.
bool holds_null(const Node& root);

}  // namespace lighter::cfg
