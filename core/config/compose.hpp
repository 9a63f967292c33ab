// Composition of config inputs (SPEC §2): files and command-line overrides merged left to
// right, then `%` macros expanded and Python-only features rejected.
#pragma once

#include <string>
#include <vector>

#include "config/node.hpp"
#include "config/parse.hpp"  // Format

namespace lighter::cfg {

// How a value is written into a tree at a key path.
enum class Edit {
    Merge,    // tables merge recursively, arrays extend, anything else replaces (files)
    Set,      // tables merge, anything else replaces: arrays too (`a::b=VALUE` overrides)
    Replace,  // replaces whatever is there (`"=key"`, `=a::b=VALUE`)
    Delete,   // `"~key"`: the value says what goes, see merge_into
};

// Writes `value` at `path` below `root`, creating missing tables on the way (not for
// Delete). Path components index into lists when the node there is a list (negative
// counts from the end); an index out of range, or a path through a scalar, is an error.
void apply_edit(Node& root, const std::vector<std::string>& path, Edit edit, const Node& value);

// Merges `overlay` (one parsed file) into `base` with Edit::Merge. Keys of overlay tables
// may carry an edit and be paths:
//   "trainer::max_epochs" = 5    path key: intermediate tables are created
//   "=key" = VALUE               replace instead of merging
//   "~key" = true                delete the key (also {}, [] or "")
//   "~key" = [0, -1]             delete these items of the list at key
//   "~key" = ["a", "b"]          delete these keys of the table at key
// Deleting what does not exist is an error naming the path and what does exist.
// New content (a table that had no counterpart in base) follows the same rules.
void merge_into(Node& base, const Node& overlay);

// SPEC §1 inputs, applied left to right onto an empty table:
//   file.toml / a.toml,b.toml          files (a comma list equals separate inputs)
//   a::b::0::c=VALUE                   Edit::Set at that path
//   =a::b=VALUE                        Edit::Replace
//   ~a::b                              delete; ~a::b=[0,-1] / ~a::b=["k"] delete items/keys
// An input is an override when it contains `=` or starts with `~`. In override keys only
// `::` separates: `a.b=1` sets the key "a.b". VALUE is parsed as a TOML value (`1e-3`,
// `true`, `[0,1]`, `"s"`, `{a=1}`); anything that is not one is a plain string
// (`trainer::precision=bf16-mixed`). Override values are located at "<override>".
// An override whose path goes through a macro ("data::x=1" where data = "%data.toml::data")
// expands that macro first, so it edits the copy. Then expand_macros and check_python_only run
// on the result.
// `first_format`, when given, gets the format of the first config file (the run writes its
// config in it). After the macros: relative references made absolute, `$` expressions evaluated.
// `run_layout`: the inputs are a run's config, so check_legacy_layout and check_override_top_key
// apply (the config language itself gives top-level keys no meaning).
Node load_inputs(const std::vector<std::string>& inputs, Format* first_format = nullptr, bool run_layout = false);

// Replaces every string "%a::b" by a copy of the raw config at that path and every
// "%other.toml::a::b" / "%other.toml" by a copy from that file (the path is relative to
// the directory of the file holding the macro; for overrides, to the working directory).
// A path component names a file when it is the first one and ends in ".toml", ".yaml" or ".yml".
// "%::x" is relative to the macro's own table, as "@::x" is (absolute_reference). Macros inside
// a copied file refer to that file. Cycles, missing files and missing keys are errors.
void expand_macros(Node& root);
// Expands only the macros on the way to `path` (its last component excepted).
void expand_macros_along(Node& root, const std::vector<std::string>& path);

// Rewrites every reference string to its absolute form: "@::x" (x in the key's own table),
// "@::::x" (one table up) and Lighter 0.0.x's "@a#b" (one warning for all of them).
void absolutize_references(Node& root);
// The one deprecation warning for `#` separators: where the first was and how many there were.
void warn_hash_separator(const std::string& first, size_t count);

// Rejects Sparkwheel's Python-only features (`_mode_` and `_requires_` keys), each with what to
// write instead.
void check_python_only(const Node& root);

// Top-level keys outside trainer, model, data, args, vars, seed, in order (for a warning).
std::vector<std::string> unknown_top_level_keys(const Node& root);

// Lighter 0.0.x's layout (`system` with model, optimizer, dataloaders...): one error that maps
// each of its keys present to today's `model`/`data` keys.
void check_legacy_layout(const Node& root);
// An override that made a top-level key no file has and lighter gives no meaning to
// (`system::optimizer::lr=0.1`): one error naming today's key ("model::optimizer::lr").
void check_override_top_key(const std::string& override_input, const std::vector<std::string>& path);

}  // namespace lighter::cfg
