#include "engine/run_dir.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace lighter::host {

namespace fs = std::filesystem;

std::filesystem::path create_run_dir(const fs::path& root) {
  const fs::path logs = root / "lighter_logs";
  std::error_code ec;
  fs::create_directories(logs, ec);
  if (ec) throw std::runtime_error("cannot create " + logs.string() + ": " + ec.message());
  int64_t next = 0;
  for (const auto& entry : fs::directory_iterator(logs)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("version_", 0) != 0) continue;
    remove_stale_temps(entry.path());
    remove_stale_temps(entry.path() / "checkpoints");
    try {
      next = std::max<int64_t>(next, std::stoll(name.substr(8)) + 1);
    } catch (const std::exception&) {
    }
  }
  for (;; ++next) {
    fs::path dir = logs / ("version_" + std::to_string(next));
    if (fs::create_directory(dir, ec)) return dir;
    if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
  }
}

}  // namespace lighter::host
