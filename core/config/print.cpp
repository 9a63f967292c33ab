#include "config/print.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "config/keypath.hpp"

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

}  // namespace lighter::cfg
