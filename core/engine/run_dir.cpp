#include "engine/run_dir.hpp"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace lighter::host {

namespace fs = std::filesystem;

std::filesystem::path create_run_dir(const fs::path& root) {
  const fs::path logs = root / "lighter_logs";
  fs::create_directories(logs);
  int64_t next = 0;
  for (const auto& entry : fs::directory_iterator(logs)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("version_", 0) != 0) continue;
    try {
      next = std::max<int64_t>(next, std::stoll(name.substr(8)) + 1);
    } catch (const std::exception&) {
    }
  }
  for (;; ++next) {
    fs::path dir = logs / ("version_" + std::to_string(next));
    if (fs::create_directory(dir)) return dir;
  }
}

void write_file_atomic(const fs::path& file, const std::string& text) {
  const fs::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write " + file.string());
    }
  }
  fs::rename(tmp, file);
}

}  // namespace lighter::host
