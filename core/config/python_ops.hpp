// Python's semantics for config values inside `$` expressions: arithmetic, comparisons,
// str(), truthiness, indexing and the builtins, each bounded, each failure a Failure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/node.hpp"

namespace lighter::cfg::expr {

inline constexpr std::size_t kMaxItems = 1u << 20;   // values one list or result may hold
inline constexpr std::int64_t kMaxRange = 1 << 20;   // items range() may make

// Why an expression failed, and where in its text (a character offset).
struct Failure {
    std::string message;
    std::size_t at;
    std::string hint;
};
[[noreturn]] inline void fail(std::size_t at, std::string message, std::string hint = {}) {
    throw Failure{std::move(message), at, std::move(hint)};
}

std::string python_str(const Node& value, bool nested = false);  // str(); repr() inside lists
bool truthy(const Node& value);
bool numeric(const Node& value);   // int, float or bool
bool integral(const Node& value);  // int or bool
std::int64_t int_of(const Node& value);
double float_of(const Node& value);
std::string type_of(const Node& value);  // Python's type name: "int", "str", "list", ...

// `l op r` for == != < <= > >= (chained comparisons call it pair by pair).
bool compare(const Node& l, const Node& r, const std::string& op, std::size_t at);
// `l op r` for + - * / // % **.
Node apply(const std::string& op, const Node& l, const Node& r, std::size_t at);
Node subscript(const Node& container, const Node& index, std::size_t at);
// An f-string field's value under its format spec ("", "d", ".3f", ".2e").
std::string formatted(const Node& value, const std::string& spec, std::size_t at);
// len, min, max, abs, round, int, float, str, bool, sum, range.
Node call_builtin(const std::string& name, std::vector<Node>& args, std::size_t at);

}  // namespace lighter::cfg::expr
