// TOML text -> Node, keeping the author's key order and the location of every value.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "config/error.hpp"
#include "config/node.hpp"

namespace lighter::cfg {

// `display_name` becomes Location::file of every node (and of errors). Pass the path as the
// user wrote it: macros (`%other.toml::a`) resolve relative to the directory of that name.
// Throws ConfigError "cannot read config file (...)" when the file cannot be read (also when
// it is not a regular file or larger than kMaxConfigBytes) and "error: run.toml:2:5: <toml11's
// reason>" for malformed TOML. Also rejected: date/time values (quote them as strings),
// nesting deeper than kMaxNesting, integers beyond 64 bits and floats beyond the double range.
Node parse_file(const std::filesystem::path& path, std::string display_name);

// A number literal beyond 64-bit integers or doubles: thrown by the parsers above. The
// override parser lets it through where it takes other malformed text as a plain string.
class OutOfRangeError : public ConfigError {
public:
    using ConfigError::ConfigError;
};
Node parse_string(std::string_view text, std::string display_name);

// Why `path` cannot be read as a config: "no such file", "it is a FIFO, not a regular file",
// "it has N bytes; lighter reads at most 16 MiB (...)"; empty when nothing is wrong with it.
std::string config_file_problem(const std::filesystem::path& path);

}  // namespace lighter::cfg
