#pragma once
// A plain config value as a plugin sees it: what TOML can hold, without source locations.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace lighter {

class Value {
 public:
  using Array = std::vector<Value>;
  using Table = std::vector<std::pair<std::string, Value>>;  // keeps the author's key order

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool v) : data_(v) {}
  Value(int v) : data_(static_cast<int64_t>(v)) {}
  Value(int64_t v) : data_(v) {}
  Value(double v) : data_(v) {}
  Value(const char* v) : data_(std::string(v)) {}
  Value(std::string v) : data_(std::move(v)) {}
  Value(Array v) : data_(std::move(v)) {}
  Value(Table v) : data_(std::move(v)) {}

  bool is_null() const { return data_.index() == 0; }
  bool is_bool() const { return std::holds_alternative<bool>(data_); }
  bool is_int() const { return std::holds_alternative<int64_t>(data_); }
  bool is_float() const { return std::holds_alternative<double>(data_); }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return std::holds_alternative<std::string>(data_); }
  bool is_array() const { return std::holds_alternative<Array>(data_); }
  bool is_table() const { return std::holds_alternative<Table>(data_); }

  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_number() const { return is_int() ? static_cast<double>(as_int()) : std::get<double>(data_); }
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const Array& as_array() const { return std::get<Array>(data_); }
  const Table& as_table() const { return std::get<Table>(data_); }

  const Value* find(const std::string& key) const {
    if (!is_table()) return nullptr;
    for (const auto& [k, v] : as_table())
      if (k == key) return &v;
    return nullptr;
  }
  // "integer", "float", "string", ... as TOML names them; used in error messages.
  const char* type_name() const;
  // Compact TOML-like rendering for messages and `plugins --describe`.
  std::string repr() const;

  friend bool operator==(const Value& a, const Value& b) { return a.data_ == b.data_; }
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Table> data_;
};

}  // namespace lighter
