#include "config/node.hpp"

#include <algorithm>
#include <cmath>

#include "config/error.hpp"

namespace lighter::cfg {

std::string Location::str() const {
    if (file.empty() || line <= 0) return file;
    std::string out = file + ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
    return out;
}

Node Node::make_null(Location loc) {
    Node node;
    node.loc = std::move(loc);
    return node;
}

Node Node::make_bool(bool value, Location loc) {
    Node node = make_null(std::move(loc));
    node.value_ = value;
    return node;
}

Node Node::make_int(std::int64_t value, Location loc) {
    Node node = make_null(std::move(loc));
    node.value_ = value;
    return node;
}

Node Node::make_float(double value, Location loc) {
    Node node = make_null(std::move(loc));
    node.value_ = value;
    return node;
}

Node Node::make_string(std::string value, Location loc) {
    Node node = make_null(std::move(loc));
    node.value_ = std::move(value);
    return node;
}

Node Node::make_array(Array items, Location loc) {
    Node node = make_null(std::move(loc));
    node.value_ = std::move(items);
    return node;
}

Node Node::make_table(Table entries, Location loc) {
    Node node = make_null(std::move(loc));
    node.value_ = std::move(entries);
    return node;
}

std::string_view Node::type_name(Type type) {
    switch (type) {
        case Type::Null: return "null";
        case Type::Bool: return "boolean";
        case Type::Int: return "integer";
        case Type::Float: return "float";
        case Type::String: return "string";
        case Type::Array: return "array";
        case Type::Table: return "table";
    }
    return "unknown";
}

std::string_view Node::type_name() const { return type_name(type()); }

template <typename T>
const T& Node::get(Type expected) const {
    if (type() != expected) {
        throw ConfigError("expected " + std::string(type_name(expected)) + ", got " +
                              std::string(type_name()),
                          {}, loc);
    }
    return std::get<T>(value_);
}

bool Node::as_bool() const { return get<bool>(Type::Bool); }
std::int64_t Node::as_int() const { return get<std::int64_t>(Type::Int); }
double Node::as_float() const { return get<double>(Type::Float); }
const std::string& Node::as_string() const { return get<std::string>(Type::String); }
const Node::Array& Node::array() const { return get<Array>(Type::Array); }
Node::Array& Node::array() { return const_cast<Array&>(std::as_const(*this).array()); }
const Node::Table& Node::table() const { return get<Table>(Type::Table); }
Node::Table& Node::table() { return const_cast<Table&>(std::as_const(*this).table()); }

double Node::as_number() const {
    if (is_int()) return static_cast<double>(as_int());
    if (is_float()) return as_float();
    throw ConfigError("expected a number, got " + std::string(type_name()), {}, loc);
}

const Node* Node::find(std::string_view key) const {
    if (!is_table()) return nullptr;
    for (const auto& [name, value] : table())
        if (name == key) return &value;
    return nullptr;
}

Node* Node::find(std::string_view key) { return const_cast<Node*>(std::as_const(*this).find(key)); }

Node& Node::set(std::string key, Node value) {
    if (is_null()) value_ = Table{};
    if (Node* existing = find(key)) return *existing = std::move(value);
    Table& entries = table();
    entries.emplace_back(std::move(key), std::move(value));
    return entries.back().second;
}

bool Node::erase(std::string_view key) {
    if (!is_table()) return false;
    Table& entries = table();
    const auto it = std::find_if(entries.begin(), entries.end(),
                                 [&](const auto& entry) { return entry.first == key; });
    if (it == entries.end()) return false;
    entries.erase(it);
    return true;
}

std::vector<std::string> Node::keys() const {
    std::vector<std::string> out;
    if (!is_table()) return out;
    for (const auto& entry : table()) out.push_back(entry.first);
    return out;
}

bool operator==(const Node& a, const Node& b) {
    if (a.type() != b.type()) return false;
    // The same config written twice is equal, so NaN equals NaN here.
    if (a.is_float() && std::isnan(a.as_float())) return std::isnan(b.as_float());
    if (!a.is_table()) return a.value_ == b.value_;  // Array compares elements with this operator
    const Node::Table& left = a.table();
    if (left.size() != b.table().size()) return false;
    for (const auto& [key, value] : left) {
        const Node* other = b.find(key);
        if (!other || *other != value) return false;
    }
    return true;
}

}  // namespace lighter::cfg
