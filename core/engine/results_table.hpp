#pragma once
#include <map>
#include <string>

namespace lighter::host {
// The box Lightning prints after validate / test: one row per logged metric.
std::string results_table(const std::string& stage, const std::map<std::string, double>& results);
}  // namespace lighter::host
