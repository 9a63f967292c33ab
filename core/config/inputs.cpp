// load_inputs: files and command-line overrides, left to right.
#include <algorithm>

#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/expression.hpp"
#include "config/keypath.hpp"
#include "config/limits.hpp"
#include "config/parse.hpp"

namespace lighter::cfg {
namespace {

const Location kOverride{"<override>"};

bool is_override(const std::string& input) {
    return input.find('=') != std::string::npos || (!input.empty() && input.front() == '~');
}

void relocate(Node& node, const Location& where) {
    node.loc = where;
    if (node.is_array())
        for (Node& item : node.array()) relocate(item, where);
    if (node.is_table())
        for (auto& entry : node.table()) relocate(entry.second, where);
}

// The override as messages show it: a hostile one can be megabytes long.
std::string shown(const std::string& input) {
    constexpr size_t kShown = 80;
    return input.size() <= kShown ? input : input.substr(0, kShown) + "...";
}

// A TOML value when `text` is exactly one, else the text itself as a string. Too deep or
// out of range is an error, not a string.
Node parse_override_value(const std::string& text, const std::string& key) {
    check_nesting("value = " + text, kOverride.file);
    check_line_lengths("value = " + text, kOverride.file);
    // Lighter reads overrides with ast.literal_eval: None is None, and so is YAML's null.
    if (text == "null" || text == "None" || text == "~") return Node::make_null(kOverride);
    Node value = Node::make_string(text);
    try {
        Node document = parse_string("value = " + text, kOverride.file);
        if (document.table().size() == 1 && document.find("value")) value = *document.find("value");
    } catch (const OutOfRangeError& error) {
        std::string path = error.key_path();
        path.replace(0, std::string("value").size(), key);
        throw ConfigError(error.message(), path, kOverride, error.suggestion());
    } catch (const ConfigError&) {
        // not TOML: a plain string such as bf16-mixed
    }
    relocate(value, kOverride);
    return value;
}

// Returns the override's key path when it made a new top-level key, else {}.
std::vector<std::string> apply_override(Node& root, const std::string& input) {
    std::string_view text = input;
    Edit edit = Edit::Set;
    if (text.front() == '~' || text.front() == '=') {
        edit = text.front() == '~' ? Edit::Delete : Edit::Replace;
        text.remove_prefix(1);
    }
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos && edit != Edit::Delete) {
        throw ConfigError("malformed override '" + shown(input) + "': expected KEY=VALUE", {}, kOverride,
                          "write it like a::b=VALUE, =a::b=VALUE or ~a::b");
    }
    std::string key(text.substr(0, equals));
    if (key.find('#') != std::string::npos) {  // Lighter 0.0.x: system#optimizer#lr=0.1
        warn_hash_separator("override '" + shown(input) + "'", 1);
        key = absolute_reference(key, "", kOverride);
    }
    const std::vector<std::string> path = split_key_path(key);
    check_key_path_length(path.size(), "the key path of override '" + shown(input) + "'", kOverride);
    if (path.empty() || std::any_of(path.begin(), path.end(), [](const auto& part) { return part.empty(); })) {
        throw ConfigError("malformed override '" + shown(input) + "': the key path has an empty part", shown(key),
                          kOverride, "separate keys with '::', like model::optimizer::lr=0.01");
    }
    const Node value = equals == std::string_view::npos
                           ? Node::make_bool(true, kOverride)
                           : parse_override_value(std::string(text.substr(equals + 1)), shown(key));
    if (const int depth = static_cast<int>(path.size()) + depth_of(value); depth > kMaxNesting) {
        throw ConfigError("override '" + shown(input) + "' nests arrays and tables " + std::to_string(depth) +
                              " levels deep; lighter accepts at most " + std::to_string(kMaxNesting),
                          {}, kOverride, kFlattenHint);
    }
    const bool made_top_key = edit != Edit::Delete && !root.find(path.front());
    try {
        expand_macros_along(root, path);
        apply_edit(root, path, edit, value);
    } catch (const ConfigError& error) {
        throw ConfigError(error.message() + " (in override '" + shown(input) + "')", error.key_path(), error.where(),
                          error.suggestion());
    }
    return made_top_key ? path : std::vector<std::string>{};
}

std::vector<std::string> split_commas(const std::string& input) {
    std::vector<std::string> files;
    size_t start = 0;
    while (true) {
        const size_t comma = input.find(',', start);
        files.push_back(input.substr(start, comma == std::string::npos ? comma : comma - start));
        if (files.back().empty())
            throw ConfigError("empty config file name in input '" + shown(input) + "'", {}, {},
                              "list files like a.toml,b.toml");
        if (comma == std::string::npos) return files;
        start = comma + 1;
    }
}

}  // namespace

Node load_inputs(const std::vector<std::string>& inputs, Format* first_format, bool run_layout) {
    Node root = Node::make_table();
    bool first_file = true;
    std::vector<std::pair<std::vector<std::string>, std::string>> made_top_keys;  // (path, override): no file has it
    for (const std::string& input : inputs) {
        if (is_override(input)) {
            if (auto path = apply_override(root, input); !path.empty()) made_top_keys.emplace_back(path, input);
            continue;
        }
        for (const std::string& file : split_commas(input)) {
            Format format = Format::Toml;
            Node tree = parse_file(file, file, &format);
            made_top_keys.erase(std::remove_if(made_top_keys.begin(), made_top_keys.end(),
                                               [&](const auto& made) { return tree.find(made.first.front()) != nullptr; }),
                                made_top_keys.end());
            merge_into(root, std::move(tree));
            if (first_file && first_format) *first_format = format;
            first_file = false;
        }
    }
    if (run_layout) {
        for (const auto& [path, input] : made_top_keys) check_override_top_key(shown(input), path);
        check_legacy_layout(root);
    }
    expand_macros(root);
    absolutize_references(root);
    evaluate_expressions(root, [](const std::string& path) { warn_hash_separator(path, 1); });
    check_python_only(root);
    return root;
}

}  // namespace lighter::cfg
