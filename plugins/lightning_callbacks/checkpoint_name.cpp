#include "checkpoint_name.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include <lighter/python_float.hpp>

namespace lighter::lightning {

namespace {
// The subset of Python's format spec that checkpoint names use: [0][width][.precision][type].
struct Spec {
  bool zero_pad = false;
  int width = 0;
  int precision = -1;
  char type = 0;  // 0, 'f', 'F', 'e', 'E', 'g', 'G', 'd', '%'
};

Spec parse_spec(const std::string& text) {
  Spec spec;
  size_t i = 0;
  auto digits = [&] {
    int n = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) n = n * 10 + (text[i] - '0');
    return n;
  };
  if (i < text.size() && text[i] == '0') spec.zero_pad = true;
  spec.width = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (i == text.size() || !std::isdigit(static_cast<unsigned char>(text[i])))
      throw std::invalid_argument("format spec ':" + text + "' has no precision digits after '.'");
    spec.precision = digits();
  }
  if (i < text.size() && std::string("fFeEgGd%").find(text[i]) != std::string::npos) spec.type = text[i++];
  if (i != text.size())
    throw std::invalid_argument("format spec ':" + text + "' is not supported (use e.g. ':.2f', ':03d', ':.3e')");
  return spec;
}

bool is_integral(double value) { return std::isfinite(value) && value == std::floor(value); }

std::string format_value(double value, bool integer, const Spec& spec) {
  std::string body;
  char buffer[128];
  if (spec.type == 'd' || (spec.type == 0 && spec.precision < 0 && integer)) {
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(std::llround(value)));
    body = buffer;
  } else if (spec.type == 0 && spec.precision < 0) {
    body = python_float(value);
  } else {
    const double shown = spec.type == '%' ? value * 100 : value;
    const char conversion = spec.type == 0 || spec.type == '%' ? (spec.type == '%' ? 'f' : 'g') : spec.type;
    const int precision = spec.precision < 0 ? 6 : spec.precision;
    const char format[] = {'%', '.', '*', conversion, '\0'};
    std::snprintf(buffer, sizeof buffer, format, precision, shown);
    body = std::string(buffer) + (spec.type == '%' ? "%" : "");
  }
  if (static_cast<int>(body.size()) >= spec.width) return body;
  const size_t pad = static_cast<size_t>(spec.width) - body.size();
  if (!spec.zero_pad) return std::string(pad, ' ') + body;
  const size_t sign = !body.empty() && body[0] == '-' ? 1 : 0;
  return body.substr(0, sign) + std::string(pad, '0') + body.substr(sign);
}
}  // namespace

CheckpointName::CheckpointName(const std::string& pattern, bool auto_insert_metric_name)
    : auto_insert_metric_name_(auto_insert_metric_name) {
  size_t i = 0;
  while (i < pattern.size()) {
    const size_t open = pattern.find('{', i);
    if (open == std::string::npos) {
      parts_.push_back({pattern.substr(i), false, ""});
      break;
    }
    if (open > i) parts_.push_back({pattern.substr(i, open - i), false, ""});
    const size_t close = pattern.find('}', open);
    if (close == std::string::npos) throw std::invalid_argument("'{' at position " + std::to_string(open) + " is never closed");
    const std::string field = pattern.substr(open + 1, close - open - 1);
    const size_t colon = field.find(':');
    Part part{field.substr(0, colon), true, colon == std::string::npos ? "" : field.substr(colon + 1)};
    if (part.text.empty()) throw std::invalid_argument("'{}' names no metric");
    parse_spec(part.spec);  // reject bad specs when the callback is built, not at the first save
    parts_.push_back(std::move(part));
    i = close + 1;
  }
}

std::string CheckpointName::render(const std::map<std::string, double>& values, int version) const {
  std::string out;
  for (const auto& part : parts_) {
    if (!part.field) {
      out += part.text;
      continue;
    }
    if (auto_insert_metric_name_) {
      std::string name = part.text;
      for (char& c : name)
        if (c == '/') c = '_';
      out += name + "=";
    }
    const auto it = values.find(part.text);
    const double value = it == values.end() ? 0.0 : it->second;
    // Lightning hands epoch and step over as integer tensors; other metrics are floats.
    const bool integer = it == values.end() || ((part.text == "epoch" || part.text == "step") && is_integral(value));
    out += format_value(value, integer, parse_spec(part.spec));
  }
  if (version > 0) out += "-v" + std::to_string(version);
  return out;
}

}  // namespace lighter::lightning
