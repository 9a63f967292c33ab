#pragma once
// Logging for plugins, through the host's logger (LIGHTER_DEBUG=1 shows debug lines).
#include <string>

namespace lighter::log {
void debug(const std::string& message);
void info(const std::string& message);
void warn(const std::string& message);
void error(const std::string& message);
}  // namespace lighter::log
