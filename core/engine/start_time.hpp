#pragma once
// Seconds since this process started, dynamic loading included (for the start-to-first-step
// figure in debug logs). Resolution: one clock tick (10 ms); -1 when /proc is unavailable.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace lighter::host {

inline double seconds_since_start() {
  std::ifstream stat_file("/proc/self/stat"), uptime_file("/proc/uptime");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  double uptime = 0;
  if (!(uptime_file >> uptime)) return -1;
  // Field 22 (starttime) counts from the field after the command name, which may hold spaces.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  const double started = std::stod(field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return uptime - started;
}

}  // namespace lighter::host
