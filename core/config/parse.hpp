// TOML or YAML text -> Node, keeping the author's key order and the location of every value.
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
//
// A file named *.yaml / *.yml is YAML (parse_yaml_string); any other is TOML, unless it is not
// valid TOML but is a YAML mapping: then it is read as YAML (a config.yaml saved under another
// name never yields a TOML syntax error). `format`, when given, says which it was.
enum class Format { Toml, Yaml };
Node parse_file(const std::filesystem::path& path, std::string display_name, Format* format = nullptr);

// True for names ending in .yaml or .yml.
bool is_yaml_name(std::string_view name);

// YAML as PyYAML's safe_load reads Lighter's configs: null is Node null, yes/no/on/off are
// booleans, `<<` merges; `1e-3` is a float (PyYAML would leave it a string). The document must be
// one mapping. Errors carry file:line:column; tags other than YAML's own are refused.
Node parse_yaml_string(std::string_view text, std::string display_name);
// What an unquoted YAML scalar means: null, a boolean, a number or the string itself.
Node resolve_yaml_plain(const std::string& text);

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
