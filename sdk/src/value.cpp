#include "lighter/value.hpp"

#include <cmath>
#include <cstdio>

namespace lighter {

const char* Value::type_name() const {
  switch (data_.index()) {
    case 0: return "null";
    case 1: return "boolean";
    case 2: return "integer";
    case 3: return "float";
    case 4: return "string";
    case 5: return "list";
    default: return "table";
  }
}

static std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string Value::repr() const {
  if (is_null()) return "null";
  if (is_bool()) return as_bool() ? "true" : "false";
  if (is_int()) return std::to_string(as_int());
  if (is_float()) {
    double d = std::get<double>(data_);
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", d);
    std::string s = buf;
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
  }
  if (is_string()) return quote(as_string());
  std::string out;
  if (is_array()) {
    out = "[";
    for (size_t i = 0; i < as_array().size(); ++i) out += (i ? ", " : "") + as_array()[i].repr();
    return out + "]";
  }
  out = "{";
  bool first = true;
  for (const auto& [k, v] : as_table()) {
    out += (first ? "" : ", ") + k + " = " + v.repr();
    first = false;
  }
  return out + "}";
}

}  // namespace lighter
