// `%` macros: copies of raw config, from the composed config or from another file.
#include <filesystem>
#include <map>
#include <memory>

#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/limits.hpp"
#include "config/parse.hpp"

namespace lighter::cfg {
namespace {

namespace fs = std::filesystem;

bool is_macro(const Node& node) {
    return node.is_string() && !node.as_string().empty() && node.as_string().front() == '%';
}

bool names_file(const std::string& component) {
    constexpr std::string_view suffix = ".toml";
    const bool toml = component.size() > suffix.size() &&
                      component.compare(component.size() - suffix.size(), suffix.size(), suffix) == 0;
    return toml || is_yaml_name(component);
}

// Expands macros in place. A document is the composed config or a file a macro named; a
// macro without a file name refers to the document it was written in.
class MacroExpander {
public:
    explicit MacroExpander(Node& config) : config_{"", "the config", &config} {}

    void run() { expand_tree(config_, "", *config_.root); }

    // Expands the macros met on the way to `parts` (not the last part itself).
    void expand_along(const std::vector<std::string>& parts) {
        Node* node = config_.root;
        std::string path;
        for (size_t i = 0; i + 1 < parts.size(); ++i) {
            Node* child = nullptr;
            if (node->is_table()) {
                child = node->find(parts[i]);
            } else if (node->is_array()) {
                const auto index = parse_index(parts[i]);
                const auto position = index ? resolve_index(*index, node->array().size()) : std::nullopt;
                if (position) child = &node->array()[*position];
            }
            if (!child) return;  // the edit itself reports what is missing
            path = join_key_path(path, parts[i]);
            if (is_macro(*child)) expand_macro(config_, path, *child);
            node = child;
        }
    }

private:
    struct Document {
        std::string id;    // "" for the composed config, else the canonical file path
        std::string name;  // for messages
        Node* root;
    };
    struct Frame {
        std::string id;     // document id + "#" + path of the macro being expanded
        std::string shown;  // "model::net ('%base.toml::net')"
    };

    Document config_;
    std::map<std::string, std::unique_ptr<Node>> files_;
    std::vector<Frame> stack_;
    size_t copied_ = 0;

    void expand_tree(const Document& doc, const std::string& path, Node& node) {
        if (is_macro(node)) {
            expand_macro(doc, path, node);
        } else if (node.is_array()) {
            for (size_t i = 0; i < node.array().size(); ++i)
                expand_tree(doc, join_key_path(path, std::to_string(i)), node.array()[i]);
        } else if (node.is_table()) {
            for (auto& [key, value] : node.table()) expand_tree(doc, join_key_path(path, key), value);
        }
    }

    void expand_macro(const Document& doc, const std::string& path, Node& macro) {
        const std::string text = macro.as_string();
        enter(doc, path, macro);
        std::vector<std::string> parts = macro_parts(absolute_macro(text, path, macro.loc), path, macro.loc);
        Document source = doc;
        if (names_file(parts.front())) {
            source = load_file(parts.front(), text, path, macro.loc);
            parts.erase(parts.begin());
        }
        auto [target, target_path] = locate(source, parts, text, path, macro.loc);
        expand_tree(source, target_path, *target);
        check_copy(*target, text, path, macro.loc);
        const Location where = macro.loc;
        macro = *target;
        if (macro.loc.file.empty()) macro.loc = where;
        stack_.pop_back();
    }

    // Pushes the macro at `path` onto the stack of expansions; meeting it again is a cycle.
    void enter(const Document& doc, const std::string& path, const Node& macro) {
        const std::string id = doc.id + "#" + path;
        const std::string shown =
            (doc.id.empty() ? "" : doc.name + "::") + path + " ('" + macro.as_string() + "')";
        for (size_t i = 0; i < stack_.size(); ++i) {
            if (stack_[i].id != id) continue;
            std::string chain;
            for (size_t j = i; j < stack_.size(); ++j) chain += stack_[j].shown + " -> ";
            throw ConfigError("macro cycle: " + chain + shown, path, macro.loc,
                              "a macro cannot copy a value that contains itself");
        }
        if (stack_.size() >= kMaxChain) {
            throw ConfigError("macros copy through more than " + std::to_string(kMaxChain) + " other macros (" +
                                  stack_.front().shown + " -> ... -> " + shown + ")",
                              path, macro.loc, kFlattenHint);
        }
        stack_.push_back({id, shown});
    }

    // A copy must not nest deeper than a file may, nor make the config explode in size.
    void check_copy(const Node& copy, const std::string& text, const std::string& path, const Location& where) {
        const int depth = static_cast<int>(split_key_path(path).size()) + depth_of(copy);
        if (depth > kMaxNesting) {
            throw ConfigError("macro '" + text + "' makes arrays and tables nest " + std::to_string(depth) +
                                  " levels deep; lighter accepts at most " + std::to_string(kMaxNesting),
                              path, where, kFlattenHint);
        }
        copied_ += size_of(copy);
        if (copied_ > kMaxCopiedValues) {
            throw ConfigError("macros copy more than " + std::to_string(kMaxCopiedValues) +
                                  " values in all (does a macro copy a list that copies itself?)",
                              path, where, kFlattenHint);
        }
    }

    // "%::x" -> "%a::x" for a macro at a::m; "%a#b" -> "%a::b" (with the deprecation warning).
    static std::string absolute_macro(const std::string& text, const std::string& path, const Location& where) {
        bool used_hash = false;
        const std::string absolute = absolute_reference(std::string_view(text).substr(1), path, where, &used_hash);
        if (used_hash) warn_hash_separator(path + " ('" + text + "')", 1);
        return "%" + absolute;
    }

    static std::vector<std::string> macro_parts(const std::string& text, const std::string& path,
                                                const Location& where) {
        const std::string hint = "write it like '%a::b', '%::sibling' or '%other.yaml::a::b'";
        std::vector<std::string> parts = split_key_path(std::string_view(text).substr(1));
        if (parts.empty()) throw ConfigError("macro '%' names nothing", path, where, hint);
        for (const std::string& part : parts) {
            if (part.empty())
                throw ConfigError("macro '" + text + "': the key path has an empty part", path, where, hint);
        }
        return parts;
    }

    // The node at `parts` in `doc`, expanding macros met on the way; and its canonical path.
    std::pair<Node*, std::string> locate(const Document& doc, const std::vector<std::string>& parts,
                                         const std::string& text, const std::string& macro_path,
                                         const Location& where) {
        Node* node = doc.root;
        std::string path;
        for (const std::string& part : parts) {
            if (is_macro(*node)) expand_macro(doc, path, *node);
            const std::string owner = path.empty() ? doc.name : "'" + path + "'";
            Node* child = nullptr;
            std::string component = part;
            if (node->is_table()) {
                child = node->find(part);
                if (!child) {
                    throw ConfigError("macro '" + text + "': " + owner + " has no key '" + part + "'", macro_path,
                                      where, suggest(part, node->keys()));
                }
            } else if (node->is_array()) {
                const auto index = parse_index(part);
                const auto position = index ? resolve_index(*index, node->array().size()) : std::nullopt;
                if (!position) {
                    const size_t size = node->array().size();
                    throw ConfigError("macro '" + text + "': " + owner + " has no list index " + part + " (the list has " +
                                          std::to_string(size) + (size == 1 ? " item)" : " items)"),
                                      macro_path, where);
                }
                child = &node->array()[*position];
                component = std::to_string(*position);
            } else {
                throw ConfigError("macro '" + text + "': " + owner + " is " + with_article(node->type_name()) +
                                      ", it has no key '" + part + "'",
                                  macro_path, where);
            }
            node = child;
            path = join_key_path(path, component);
        }
        return {node, path};
    }

    Document load_file(const std::string& file, const std::string& text, const std::string& macro_path,
                       const Location& where) {
        // Overrides (and other pseudo-files such as "<override>") resolve against the cwd.
        const bool from_real_file = !where.file.empty() && where.file.front() != '<';
        fs::path path = file;
        if (path.is_relative() && from_real_file) path = fs::path(where.file).parent_path() / path;
        path = path.lexically_normal();

        if (const std::string problem = config_file_problem(path); !problem.empty()) {
            throw ConfigError("macro '" + text + "': cannot read config file '" + path.string() + "' (" + problem + ")",
                              macro_path, where);
        }
        std::error_code error;
        const std::string id = fs::weakly_canonical(path, error).string();
        auto& slot = files_[id.empty() ? path.string() : id];
        if (!slot) {
            // The file as it reads on its own: its path keys and "=key" edits applied.
            const Node parsed = parse_file(path, path.string());
            slot = std::make_unique<Node>(Node::make_table({}, parsed.loc));
            merge_into(*slot, parsed);
        }
        return Document{id.empty() ? path.string() : id, path.string(), slot.get()};
    }
};

}  // namespace

void expand_macros(Node& root) { MacroExpander(root).run(); }

void expand_macros_along(Node& root, const std::vector<std::string>& path) { MacroExpander(root).expand_along(path); }

}  // namespace lighter::cfg
