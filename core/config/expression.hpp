// Sparkwheel's `$` expressions, evaluated by a small interpreter over config values: nothing is
// ever executed. The subset real Lighter configs use:
//   numbers, strings, f-strings, True/False/None, lists and tuples, @references (`@vars::lr`,
//   relative `@::x`), + - * / // % ** and unary -, comparisons (chained), and/or/not,
//   `a if c else b`, indexing, the builtins len min max abs round int float str bool sum range,
//   and `@path.parameters()` / `@path.sub.named_parameters()` (becomes the reference "@path::sub").
// Anything else is a ConfigError that names the subset.
#pragma once

#include <functional>
#include <string>

#include "config/node.hpp"

namespace lighter::cfg {

// True for a string starting with '$'.
bool is_expression(const Node& node);

// Replaces every `$` expression of the composed config by its value (located where the
// expression was). References read the plain values of `root`, following "@other" strings and
// evaluating referenced expressions first (cycles are errors). `on_hash` is called with the key
// path of each expression whose references use 0.0.x's '#' separator.
void evaluate_expressions(Node& root, const std::function<void(const std::string&)>& on_hash = nullptr);

}  // namespace lighter::cfg
