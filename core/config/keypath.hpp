// Key paths: `model::optimizer::lr`, `trainer::callbacks::0::patience`.
// Components are separated by `::`; a component that is a decimal integer (optionally
// negative, -1 = last) indexes into a list. Dots have no meaning: `a.b` is one key.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/node.hpp"

namespace lighter::cfg {

inline constexpr std::string_view kPathSeparator = "::";

// Splits on every `::`; keeps empty components ("a::::b" -> {"a", "", "b"}) so callers can
// report them. "" -> {}.
std::vector<std::string> split_key_path(std::string_view path);
std::string join_key_path(const std::vector<std::string>& parts);
// Appends one component: ("a::b", "c") -> "a::b::c"; ("", "c") -> "c".
std::string join_key_path(std::string_view base, std::string_view component);

// "3" -> 3, "-1" -> -1; nullopt for anything else ("+1", "1a", "", out of range).
std::optional<long long> parse_index(std::string_view component);
// Resolves a possibly negative index against a list of `size` items; nullopt when out of range.
std::optional<size_t> resolve_index(long long index, size_t size);

// The node at `parts` below `root` (tables by key, arrays by index); nullptr when absent.
const Node* find_path(const Node& root, const std::vector<std::string>& parts);
Node* find_path(Node& root, const std::vector<std::string>& parts);

// The absolute key path that the id of an `@` reference or `%` macro (the text after the sigil)
// names when it is written at `key_path`. A relative id starts with "::": "::x" is x in the key's
// own table, every further "::" climbs one table ("::::x" is x in the parent table). Lighter
// 0.0.x's "#" separator is read as "::" and sets `*used_hash` (for a deprecation warning).
// Absolute ids come back unchanged; climbing above the root is a ConfigError at `where`.
std::string absolute_reference(std::string_view id, std::string_view key_path, const Location& where,
                               bool* used_hash = nullptr);

}  // namespace lighter::cfg
