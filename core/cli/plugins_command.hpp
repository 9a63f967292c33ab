#pragma once
#include <optional>
#include <string>

namespace lighter::host {
// `lighter-host plugins [--describe NAME]`: every component with its source file, or one
// component's parameters.
int plugins_command(const std::optional<std::string>& describe);
}  // namespace lighter::host
