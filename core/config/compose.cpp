#include "config/compose.hpp"

#include <algorithm>
#include <unordered_set>

#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/limits.hpp"

namespace lighter::cfg {
namespace {

void merge_table(Node& base, const Node& overlay, const std::string& path);

std::string list_size(size_t size) {
    return "the list has " + std::to_string(size) + (size == 1 ? " item" : " items");
}

std::string existing_keys(const Node& table) {
    const std::vector<std::string> keys = table.keys();
    return keys.empty() ? "the table is empty" : "existing keys: " + quoted_list(keys);
}

[[noreturn]] void no_such_key(const Node& table, const std::string& key, const std::string& path,
                              const std::string& action, const Location& where) {
    throw ConfigError("cannot " + action + ": no such key; " + existing_keys(table),
                      join_key_path(path, key), where, suggest(key, table.keys()));
}

// `overlay` as new content: its edit keys applied to an empty table.
Node fresh(const Node& overlay, const std::string& path) {
    if (overlay.is_table()) {
        Node table = Node::make_table({}, overlay.loc);
        merge_table(table, overlay, path);
        return table;
    }
    if (overlay.is_array()) {
        Node array = Node::make_array({}, overlay.loc);
        for (size_t i = 0; i < overlay.array().size(); ++i)
            array.array().push_back(fresh(overlay.array()[i], join_key_path(path, std::to_string(i))));
        return array;
    }
    return overlay;
}

void merge_value(Node& base, const Node& overlay, const std::string& path) {
    if (base.is_table() && overlay.is_table()) {
        merge_table(base, overlay, path);
    } else if (base.is_array() && overlay.is_array()) {
        const size_t offset = base.array().size();
        for (size_t i = 0; i < overlay.array().size(); ++i) {
            Node item = fresh(overlay.array()[i], join_key_path(path, std::to_string(offset + i)));
            base.array().push_back(std::move(item));
        }
    } else {
        base = fresh(overlay, path);
    }
}

void write_value(Node& slot, const Node& value, Edit edit, const std::string& path) {
    if (edit == Edit::Merge || (edit == Edit::Set && slot.is_table() && value.is_table()))
        merge_value(slot, value, path);
    else
        slot = fresh(value, path);
}

size_t list_position(const Node& list, const std::string& component, const std::string& path,
                     const Location& where) {
    const auto index = parse_index(component);
    if (!index) {
        throw ConfigError("'" + component + "' is not a list index (" + list_size(list.array().size()) + ")",
                          path, where);
    }
    const auto position = resolve_index(*index, list.array().size());
    if (!position) {
        throw ConfigError("list index " + component + " is out of range (" + list_size(list.array().size()) + ")",
                          path, where);
    }
    return *position;
}

bool deletes_whole_key(const Node& value) {
    return value.is_null() || (value.is_bool() && value.as_bool()) ||
           (value.is_string() && value.as_string().empty()) ||
           (value.is_array() && value.array().empty()) || (value.is_table() && value.table().empty());
}

void delete_items(Node& list, const Node& indices, const std::string& path) {
    if (!list.is_array()) {
        throw ConfigError("cannot delete list items: the value here is " + with_article(list.type_name()),
                          path, indices.loc);
    }
    std::vector<bool> doomed(list.array().size(), false);
    for (const Node& index : indices.array()) {
        const auto position = resolve_index(index.as_int(), list.array().size());
        if (!position) {
            throw ConfigError("cannot delete item " + std::to_string(index.as_int()) +
                                  ": list index out of range (" + list_size(list.array().size()) + ")",
                              path, index.loc);
        }
        doomed[*position] = true;
    }
    Node::Array kept;
    for (size_t i = 0; i < doomed.size(); ++i)
        if (!doomed[i]) kept.push_back(std::move(list.array()[i]));
    list.array() = std::move(kept);
}

void delete_keys(Node& table, const Node& keys, const std::string& path) {
    if (!table.is_table()) {
        throw ConfigError("cannot delete table keys: the value here is " + with_article(table.type_name()),
                          path, keys.loc);
    }
    std::unordered_set<std::string> present, doomed;
    for (const auto& entry : table.table()) present.insert(entry.first);
    for (const Node& key : keys.array()) {
        if (!present.count(key.as_string())) no_such_key(table, key.as_string(), path, "delete", key.loc);
        doomed.insert(key.as_string());
    }
    Node::Table& entries = table.table();
    entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const auto& entry) { return doomed.count(entry.first) > 0; }),
                  entries.end());
}

bool all_of_type(const Node& list, Node::Type type) {
    return std::all_of(list.array().begin(), list.array().end(),
                       [type](const Node& item) { return item.type() == type; });
}

// Deletes from `target` (which lives at `path`) what `value` names. Returns true when the
// whole target goes; the caller removes it from its parent.
bool delete_in(Node& target, const Node& value, const std::string& path) {
    if (deletes_whole_key(value)) return true;
    if (value.is_array() && all_of_type(value, Node::Type::Int)) {
        delete_items(target, value, path);
    } else if (value.is_array() && all_of_type(value, Node::Type::String)) {
        delete_keys(target, value, path);
    } else {
        throw ConfigError("cannot delete: expected true, a list of list indices or a list of keys, got " +
                              std::string(value.type_name()) + (value.is_array() ? " of mixed items" : ""),
                          path, value.loc);
    }
    return false;
}

[[noreturn]] void not_a_container(const Node& node, const std::string& component, const std::string& path,
                                  const Location& where) {
    throw ConfigError("cannot reach '" + component + "': the value here is " + with_article(node.type_name()) +
                          ", not a table or list",
                      path, where);
}

// The child of `node` named `component`, on the way to the edited key.
Node& step_into(Node& node, const std::string& component, const std::string& path, Edit edit,
                const Location& where) {
    if (node.is_null() && edit != Edit::Delete) node = Node::make_table({}, node.loc);
    if (node.is_array()) return node.array()[list_position(node, component, path, where)];
    if (!node.is_table()) not_a_container(node, component, path, where);
    if (Node* child = node.find(component)) return *child;
    if (edit == Edit::Delete) no_such_key(node, component, path, "delete", where);
    if (node.table().size() >= kMaxTableKeys) {
        throw ConfigError("a table holds more than " + std::to_string(kMaxTableKeys) + " keys", join_key_path(path, component),
                          where, "a config is small: is this the right file?");
    }
    return node.set(component, Node::make_table({}, where));
}

void apply_at(Node& root, const std::string& root_path, const std::vector<std::string>& parts, Edit edit,
              const Node& value) {
    Node* parent = &root;
    std::string path = root_path;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        parent = &step_into(*parent, parts[i], path, edit, value.loc);
        path = join_key_path(path, parts[i]);
    }
    const std::string& key = parts.back();
    const std::string target_path = join_key_path(path, key);

    if (parent->is_array()) {
        const size_t position = list_position(*parent, key, path, value.loc);
        Node& slot = parent->array()[position];
        if (edit != Edit::Delete)
            write_value(slot, value, edit, target_path);
        else if (delete_in(slot, value, target_path))
            parent->array().erase(parent->array().begin() + static_cast<long>(position));
        return;
    }
    if (edit == Edit::Delete) {
        if (!parent->is_table()) not_a_container(*parent, key, path, value.loc);
        Node* target = parent->find(key);
        if (!target) no_such_key(*parent, key, path, "delete", value.loc);
        if (delete_in(*target, value, target_path)) parent->erase(key);
        return;
    }
    Node& slot = step_into(*parent, key, path, edit, value.loc);
    write_value(slot, value, edit, target_path);
}

struct EditKey {
    Edit edit;
    std::vector<std::string> parts;
};

EditKey parse_edit_key(const std::string& key, const std::string& path, const Location& where) {
    EditKey out{Edit::Merge, {}};
    std::string_view rest = key;
    if (!rest.empty() && (rest.front() == '=' || rest.front() == '~')) {
        out.edit = rest.front() == '=' ? Edit::Replace : Edit::Delete;
        rest.remove_prefix(1);
    }
    out.parts = split_key_path(rest);
    const bool has_empty = std::any_of(out.parts.begin(), out.parts.end(),
                                       [](const std::string& part) { return part.empty(); });
    if (out.parts.empty() || has_empty) {
        throw ConfigError("malformed key '" + key + "': every part of a key path must be non-empty",
                          join_key_path(path, key), where, "write keys like \"a::b\", \"=a\" or \"~a\"");
    }
    return out;
}

void merge_table(Node& base, const Node& overlay, const std::string& path) {
    for (const auto& [key, value] : overlay.table()) {
        const EditKey edit_key = parse_edit_key(key, path, value.loc);
        apply_at(base, path, edit_key.parts, edit_key.edit, value);
    }
}

}  // namespace

void apply_edit(Node& root, const std::vector<std::string>& path, Edit edit, const Node& value) {
    if (path.empty()) {
        if (edit == Edit::Delete) throw ConfigError("cannot delete the whole config", {}, value.loc);
        write_value(root, value, edit, "");
        return;
    }
    apply_at(root, "", path, edit, value);
}

void merge_into(Node& base, const Node& overlay) {
    if (base.is_null() && overlay.is_table()) base = Node::make_table({}, overlay.loc);
    merge_value(base, overlay, "");
}

}  // namespace lighter::cfg
