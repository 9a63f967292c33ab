// TOML text -> Node, keeping the author's key order and the location of every value.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "config/node.hpp"

namespace lighter::cfg {

// `display_name` becomes Location::file of every node (and of errors). Pass the path as the
// user wrote it: macros (`%other.toml::a`) resolve relative to the directory of that name.
// Throws ConfigError "cannot read config file (...)" when the file cannot be read and
// "error: run.toml:2:5: <toml11's reason>" for malformed TOML. Date/time values are
// rejected (quote them as strings).
Node parse_file(const std::filesystem::path& path, std::string display_name);
Node parse_string(std::string_view text, std::string display_name);

}  // namespace lighter::cfg
