// Node -> TOML text (for --print-config and the config.toml a run leaves behind).
#pragma once

#include <string>

#include "config/node.hpp"

namespace lighter::cfg {

// TOML that parse_string reads back to an equal Node. Within each table, plain values come
// first, then sub-tables as `[a.b]` sections and lists of tables as `[[a.b]]` sections, each
// group in the tree's order; tables inside other lists are written inline. Floats are written
// in their shortest exact form; keys are quoted when not bare. Throws std::invalid_argument
// for a non-table root or a null value (TOML has no null).
std::string to_toml(const Node& root);

}  // namespace lighter::cfg
