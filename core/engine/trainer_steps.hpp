#pragma once
// Small helpers of the trainer loops.
#include <fmt/format.h>

#include <map>
#include <string>

#include "lighter/data.hpp"

namespace lighter::host {

// "a=0.1234, b=5" with 4 significant digits, for progress and epoch lines.
inline std::string format_metrics(const std::map<std::string, double>& values) {
  std::string out;
  for (const auto& [k, v] : values) out += (out.empty() ? "" : ", ") + k + "=" + fmt::format("{:.4g}", v);
  return out;
}

}  // namespace lighter::host
