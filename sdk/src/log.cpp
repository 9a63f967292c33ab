#include "lighter/log.hpp"

#include <spdlog/spdlog.h>

namespace lighter::log {
void debug(const std::string& message) { spdlog::debug(message); }
void info(const std::string& message) { spdlog::info(message); }
void warn(const std::string& message) { spdlog::warn(message); }
void error(const std::string& message) { spdlog::error(message); }
}  // namespace lighter::log
