// Bounds on what a config may be. They sit far above any real config and low enough that
// hostile input (a nesting bomb, /dev/zero, a macro that doubles itself) is one ConfigError
// instead of a stack overflow, a hang or an exhausted memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "config/node.hpp"

namespace lighter::cfg {

// A config file (or a `%other.toml` macro file) is read up to this size, and its lines up to
// this length. toml11 takes about 2 s for 1 MiB, and it rescans a value's whole line for every
// value on it: a 1 MiB one-line list would take minutes.
inline constexpr std::size_t kMaxConfigBytes = 1u << 20;
inline constexpr std::size_t kMaxLineBytes = 4096;
// Arrays and tables nest at most this deep, the parts of a key path counted as levels
// (`a.b.c = 1` and `"a::b::c" = 1` are three levels, `[[x]]` two).
inline constexpr int kMaxNesting = 64;
// Keys of one table: every key written looks up the ones before it.
inline constexpr std::size_t kMaxTableKeys = 10000;
// Macros and references followed one through another (`%a` naming `%b` naming ...).
inline constexpr std::size_t kMaxChain = 64;
// Values one config may copy through macros or references (a list that doubles itself a
// few dozen times would otherwise fill the memory).
inline constexpr std::size_t kMaxCopiedValues = 1u << 20;

// "a config is small: flatten it": the suggestion every nesting error carries.
extern const char* const kFlattenHint;

// Throws ConfigError at the first byte of `text` that is not valid UTF-8. TOML is UTF-8, and
// toml11 3.7 reads out of bounds when it reports invalid UTF-8 inside a string.
void check_utf8(std::string_view text, const std::string& file);

// Throws ConfigError at the first line of `text` longer than kMaxLineBytes.
void check_line_lengths(std::string_view text, const std::string& file);

// Throws ConfigError at the first place where `text` (TOML) nests deeper than kMaxNesting,
// naming the deepest level reached. A linear scan that skips strings and comments: toml11
// parses recursively, so this must run before it sees the text.
void check_nesting(std::string_view text, const std::string& file);

// Levels below `node`: 0 for a scalar or an empty container, 1 for [1], 2 for [[1]] ...
// (iterative: safe on any tree).
int depth_of(const Node& node);
// Nodes in the tree, `node` included (iterative).
std::size_t size_of(const Node& node);

// Throws ConfigError when `parts` has more than kMaxNesting parts; `what` says whose path it is.
void check_key_path_length(std::size_t parts, const std::string& what, const Location& where);

}  // namespace lighter::cfg
