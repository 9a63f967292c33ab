#include "engine/results_table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace lighter::host {

std::string results_table(const std::string& stage, const std::map<std::string, double>& results) {
  const std::string header = stage == "test" ? "Test metric" : "Validate metric";
  size_t width = header.size();
  for (const auto& [key, value] : results) width = std::max(width, key.size());
  const std::string rule = std::string(width + 2, '-') + "+" + std::string(22, '-') + "\n";
  std::string out = rule + fmt::format(" {:<{}} | {:>20}\n", header, width, "value") + rule;
  for (const auto& [key, value] : results) out += fmt::format(" {:<{}} | {:>20.6g}\n", key, width, value);
  if (results.empty()) out += fmt::format(" {:<{}} |\n", "(nothing logged)", width);
  return out + rule;
}

}  // namespace lighter::host
