#pragma once
// Floats rendered as Python's repr() does (shortest round-trip digits, "1.0", "1e-05"), so
// files and messages read exactly as the Python tools write them (metrics.csv, checkpoint names,
// predictions).
#include <charconv>
#include <cmath>
#include <string>

namespace lighter {

inline std::string python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string text(buffer, result.ptr);  // "-1.2345e-05": shortest digits that round-trip
  std::string out = text[0] == '-' ? "-" : "";
  if (text[0] == '-') text.erase(0, 1);
  const size_t e = text.find('e');
  const std::string digits = text.substr(0, 1) + (e > 2 ? text.substr(2, e - 2) : "");
  const int exponent = std::stoi(text.substr(e + 1));
  if (exponent < -4 || exponent >= 16) {  // Python switches to exponent notation here
    const std::string magnitude = std::to_string(std::abs(exponent));
    out += digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "");
    return out + "e" + (exponent < 0 ? "-" : "+") + (magnitude.size() < 2 ? "0" : "") + magnitude;
  }
  if (exponent < 0) return out + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  const size_t integer_digits = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= integer_digits) return out + digits + std::string(integer_digits - digits.size(), '0') + ".0";
  return out + digits.substr(0, integer_digits) + "." + digits.substr(integer_digits);
}

}  // namespace lighter
