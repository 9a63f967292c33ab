#include "config/print.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/parse.hpp"

namespace lighter::cfg {
namespace {

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\f': out += "\\f"; break;
            case '\r': out += "\\r"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    char escape[8];
                    std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
                    out += escape;
                } else {
                    out += c;  // UTF-8 passes through
                }
        }
    }
    return out + "\"";
}

std::string key_text(const std::string& key) {
    const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    return bare ? key : quoted(key);
}

std::string float_text(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[32];
    // Shortest text that reads back to the same double, independent of the C locale.
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    std::string text(buffer, result.ptr);
    if (text.find_first_of(".e") == std::string::npos) text += ".0";  // stays a float
    return text;
}

std::string inline_value(const Node& node, const std::string& path) {
    switch (node.type()) {
        case Node::Type::Null:
            throw std::invalid_argument("cannot write " + path + " as TOML: it is null and TOML has no null");
        case Node::Type::Bool: return node.as_bool() ? "true" : "false";
        case Node::Type::Int: return std::to_string(node.as_int());
        case Node::Type::Float: return float_text(node.as_float());
        case Node::Type::String: return quoted(node.as_string());
        case Node::Type::Array: {
            std::string out = "[";
            for (size_t i = 0; i < node.array().size(); ++i) {
                if (i > 0) out += ", ";
                out += inline_value(node.array()[i], join_key_path(path, std::to_string(i)));
            }
            return out + "]";
        }
        case Node::Type::Table: {
            if (node.table().empty()) return "{}";
            std::string out = "{ ";
            for (size_t i = 0; i < node.table().size(); ++i) {
                const auto& [key, value] = node.table()[i];
                if (i > 0) out += ", ";
                out += key_text(key) + " = " + inline_value(value, join_key_path(path, key));
            }
            return out + " }";
        }
    }
    return {};
}

bool is_table_list(const Node& node) {
    return node.is_array() && !node.array().empty() &&
           std::all_of(node.array().begin(), node.array().end(), [](const Node& item) { return item.is_table(); });
}

bool is_section(const Node& node) { return node.is_table() || is_table_list(node); }

class TomlWriter {
public:
    std::string take() { return std::move(out_); }

    // The key = value lines of `table`, then its sections under `header` ("a.b" in TOML syntax).
    void write_body(const Node& table, const std::string& header, const std::string& path) {
        for (const auto& [key, value] : table.table()) {
            if (!is_section(value)) out_ += key_text(key) + " = " + inline_value(value, join_key_path(path, key)) + "\n";
        }
        for (const auto& [key, value] : table.table()) {
            const std::string child_header = header.empty() ? key_text(key) : header + "." + key_text(key);
            const std::string child_path = join_key_path(path, key);
            if (value.is_table()) {
                write_table(value, child_header, child_path);
            } else if (is_table_list(value)) {
                for (size_t i = 0; i < value.array().size(); ++i) {
                    start_section("[[" + child_header + "]]");
                    write_body(value.array()[i], child_header, join_key_path(child_path, std::to_string(i)));
                }
            }
        }
    }

private:
    std::string out_;

    void start_section(const std::string& line) {
        if (!out_.empty()) out_ += "\n";
        out_ += line + "\n";
    }

    void write_table(const Node& table, const std::string& header, const std::string& path) {
        const bool only_sections = !table.table().empty() &&
                                   std::all_of(table.table().begin(), table.table().end(),
                                               [](const auto& entry) { return is_section(entry.second); });
        // A table holding only sections gets its header implicitly from theirs.
        if (!only_sections) start_section("[" + header + "]");
        write_body(table, header, path);
    }
};

}  // namespace

std::string to_toml(const Node& root) {
    if (!root.is_table()) throw std::invalid_argument("a TOML document must be a table, got " + std::string(root.type_name()));
    TomlWriter writer;
    writer.write_body(root, "", "");
    return writer.take();
}

namespace {

// A string YAML may write unquoted: it reads back as the same string (not `yes`, `1e3`, `null`)
// and has no character with a meaning in YAML.
bool plain_yaml(const std::string& text) {
    if (text.empty() || text.size() > 200 || text.front() == ' ' || text.back() == ' ' || text.front() == '-') return false;
    const bool safe = std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '/' || c == '-' || c == '+' || c == ' ';
    });
    if (!safe) return false;
    try {
        const Node value = resolve_yaml_plain(text);
        return value.is_string() && value.as_string() == text;
    } catch (const ConfigError&) {
        return false;
    }
}

std::string yaml_string(const std::string& text) { return plain_yaml(text) ? text : quoted(text); }

std::string yaml_float(double value) {
    if (std::isnan(value)) return ".nan";
    if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
    return float_text(value);
}

bool is_container(const Node& node) { return node.is_array() || node.is_table(); }

std::string yaml_scalar(const Node& node) {
    switch (node.type()) {
        case Node::Type::Null: return "null";
        case Node::Type::Bool: return node.as_bool() ? "true" : "false";
        case Node::Type::Int: return std::to_string(node.as_int());
        case Node::Type::Float: return yaml_float(node.as_float());
        case Node::Type::String: return yaml_string(node.as_string());
        case Node::Type::Array: {
            std::string out = "[";
            for (size_t i = 0; i < node.array().size(); ++i) out += (i > 0 ? ", " : "") + yaml_scalar(node.array()[i]);
            return out + "]";
        }
        case Node::Type::Table: return "{}";
    }
    return {};
}

// Written inline: scalars, empty containers and lists of scalars.
bool is_inline(const Node& node) {
    if (node.is_table()) return node.table().empty();
    if (node.is_array())
        return std::none_of(node.array().begin(), node.array().end(), [](const Node& item) { return is_container(item); });
    return true;
}

class YamlWriter {
public:
    std::string take() { return std::move(out_); }

    void mapping(const Node& table, size_t indent, bool first_line_started = false) {
        for (const auto& [key, value] : table.table()) {
            if (!first_line_started) out_ += std::string(indent, ' ');
            first_line_started = false;
            out_ += yaml_string(key) + ":";
            value_after_key(value, indent);
        }
    }

private:
    std::string out_;

    void value_after_key(const Node& value, size_t indent) {
        if (is_inline(value)) {
            out_ += " " + yaml_scalar(value) + "\n";
        } else if (value.is_table()) {
            out_ += "\n";
            mapping(value, indent + 2);
        } else {
            out_ += "\n";
            sequence(value, indent + 2);
        }
    }

    void sequence(const Node& list, size_t indent) {
        for (const Node& item : list.array()) {
            out_ += std::string(indent, ' ') + "-";
            if (is_inline(item)) {
                out_ += " " + yaml_scalar(item) + "\n";
            } else if (item.is_table()) {
                out_ += " ";
                mapping(item, indent + 2, true);
            } else {
                out_ += "\n";
                sequence(item, indent + 2);
            }
        }
    }
};

}  // namespace

std::string to_yaml(const Node& root) {
    if (!root.is_table()) throw std::invalid_argument("a YAML config must be a mapping, got " + std::string(root.type_name()));
    if (root.table().empty()) return "{}\n";
    YamlWriter writer;
    writer.mapping(root, 0);
    return writer.take();
}

std::string to_text(const Node& root, Format format) {
    if (format == Format::Yaml) return to_yaml(root);
    try {
        return to_toml(root);
    } catch (const std::invalid_argument& error) {
        throw ConfigError(std::string(error.what()), {}, {}, "print it as YAML (--format yaml), which has null");
    }
}

bool holds_null(const Node& root) {
    std::vector<const Node*> pending{&root};
    while (!pending.empty()) {
        const Node* node = pending.back();
        pending.pop_back();
        if (node->is_null()) return true;
        if (node->is_array())
            for (const Node& item : node->array()) pending.push_back(&item);
        if (node->is_table())
            for (const auto& entry : node->table()) pending.push_back(&entry.second);
    }
    return false;
}

}  // namespace lighter::cfg
