// A raw config tree: the TOML document after parsing, before any component is built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace lighter::cfg {

// Where a value was written. `file` is the name the user gave (a path as typed, or a
// pseudo-name such as "<override>"); line and column are 1-based, 0 when unknown.
struct Location {
    std::string file;
    int line = 0;
    int column = 0;

    bool has_position() const { return line > 0; }
    // "run.toml:3:5", "run.toml" or "" when nothing is known.
    std::string str() const;
};

class Node {
public:
    using Array = std::vector<Node>;
    // Insertion-ordered; keys are unique (set() replaces in place).
    using Table = std::vector<std::pair<std::string, Node>>;
    enum class Type { Null, Bool, Int, Float, String, Array, Table };

    Location loc;

    Node() = default;  // null
    static Node make_null(Location loc = {});
    static Node make_bool(bool value, Location loc = {});
    static Node make_int(std::int64_t value, Location loc = {});
    static Node make_float(double value, Location loc = {});
    static Node make_string(std::string value, Location loc = {});
    static Node make_array(Array items = {}, Location loc = {});
    static Node make_table(Table entries = {}, Location loc = {});

    Type type() const { return static_cast<Type>(value_.index()); }
    // "null", "boolean", "integer", "float", "string", "array", "table".
    std::string_view type_name() const;
    static std::string_view type_name(Type type);

    bool is_null() const { return type() == Type::Null; }
    bool is_bool() const { return type() == Type::Bool; }
    bool is_int() const { return type() == Type::Int; }
    bool is_float() const { return type() == Type::Float; }
    bool is_number() const { return is_int() || is_float(); }
    bool is_string() const { return type() == Type::String; }
    bool is_array() const { return type() == Type::Array; }
    bool is_table() const { return type() == Type::Table; }

    // Accessors throw ConfigError ("expected integer, got string") on a type mismatch.
    bool as_bool() const;
    std::int64_t as_int() const;
    double as_float() const;
    double as_number() const;  // an integer or a float, as double
    const std::string& as_string() const;
    const Array& array() const;
    Array& array();
    const Table& table() const;
    Table& table();

    // Table lookup; nullptr when absent or when this node is not a table.
    const Node* find(std::string_view key) const;
    Node* find(std::string_view key);
    // Replaces the value of an existing key in place (keeping its position) or appends.
    // A null node becomes an empty table first; any other non-table throws ConfigError.
    Node& set(std::string key, Node value);
    // Removes the key; false when it was not there (or this is not a table).
    bool erase(std::string_view key);
    std::vector<std::string> keys() const;  // table keys in order; empty for non-tables

    // Structural equality: ignores locations and the order of table keys;
    // types must match exactly (integer 1 != float 1.0).
    friend bool operator==(const Node& a, const Node& b);
    friend bool operator!=(const Node& a, const Node& b) { return !(a == b); }

private:
    using Value = std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Table>;
    Value value_;

    template <typename T>
    const T& get(Type expected) const;
};

}  // namespace lighter::cfg
