#pragma once
// Cell text for lighter.callbacks.CsvWriter, written as Python's csv module writes the values
// Python Lighter hands it: str() of Python scalars (`1`, `0.1`, `1e-05`, `nan`, `True`),
// str() of lists for non-scalar samples (`[1.0, 2.0]`, `['a', 'b']`), and RFC 4180 quoting.
// Everything appends to a std::string so the writer can fill one large buffer.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace lighter::callbacks::csv {

inline void append_bool(std::string& out, bool value) { out += value ? "True" : "False"; }

template <class T>
void append_int(std::string& out, T value) {
  char text[24];
  out.append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

// Python's repr(float): the shortest digits that round-trip, fixed notation for exponents in
// [-4, 16), otherwise `d.ddde±XX`; integral values keep a `.0`.
inline void append_float(std::string& out, double value) {
  if (std::isnan(value)) return void(out += "nan");
  if (std::isinf(value)) return void(out += value > 0 ? "inf" : "-inf");
  char sci[32];
  const char* end = std::to_chars(sci, sci + sizeof sci, value, std::chars_format::scientific).ptr;
  const char* p = sci;
  if (*p == '-') out += *p++;
  char digits[24];
  int count = 0;
  digits[count++] = *p++;
  if (*p == '.')
    for (++p; *p != 'e';) digits[count++] = *p++;
  const bool negative_exponent = p[1] == '-';
  int exponent = 0;
  std::from_chars(p + 2, end, exponent);
  if (negative_exponent) exponent = -exponent;
  if (exponent < -4 || exponent >= 16) {
    out += digits[0];
    if (count > 1) (out += '.').append(digits + 1, static_cast<size_t>(count - 1));
    out += negative_exponent ? "e-" : "e+";
    if (std::abs(exponent) < 10) out += '0';
    return append_int(out, std::abs(exponent));
  }
  if (exponent < 0) {
    out.append("0.").append(static_cast<size_t>(-exponent - 1), '0').append(digits, static_cast<size_t>(count));
    return;
  }
  const int integer_digits = exponent + 1;
  if (count <= integer_digits) {
    out.append(digits, static_cast<size_t>(count)).append(static_cast<size_t>(integer_digits - count), '0') += ".0";
    return;
  }
  out.append(digits, static_cast<size_t>(integer_digits)) += '.';
  out.append(digits + integer_digits, static_cast<size_t>(count - integer_digits));
}

// A number of any tensor element type as Python's `tensor.item()` would print it.
template <class T>
void append_number(std::string& out, T value) {
  if constexpr (std::is_same_v<T, bool>) append_bool(out, value);
  else if constexpr (std::is_integral_v<T>) append_int(out, value);
  else if constexpr (std::is_floating_point_v<T>) append_float(out, static_cast<double>(value));
  else append_float(out, static_cast<double>(static_cast<float>(value)));  // Half, BFloat16
}

// Python's repr(str), for strings inside a list literal: single quotes unless the text holds a
// single quote and no double quote; backslash escapes for the quote, `\` and control characters.
inline void append_repr(std::string& out, std::string_view text) {
  const bool single = text.find('\'') != std::string_view::npos, dbl = text.find('"') != std::string_view::npos;
  const char quote = single && !dbl ? '"' : '\'';
  out += quote;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\') (out += '\\') += ch;
    else if (ch == '\n') out += "\\n";
    else if (ch == '\r') out += "\\r";
    else if (ch == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      const char* hex = "0123456789abcdef";
      ((out += "\\x") += hex[c >> 4]) += hex[c & 15];
    } else {
      out += ch;
    }
  }
  out += quote;
}

// RFC 4180 (Python's csv QUOTE_MINIMAL): a field holding a comma, a quote, CR or LF is quoted,
// with quotes doubled.
inline void append_field(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return void(out += text);
  out += '"';
  for (const char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

}  // namespace lighter::callbacks::csv
