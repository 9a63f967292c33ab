#pragma once
// Runs the real lighter-host binary for end-to-end tests and captures what it leaves.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lighter::test {

struct HostResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs LIGHTER_HOST_PATH with `args` in `cwd`, with `env` added to (or, for empty values,
// removed from) the environment. `wrapper` is a command put in front (e.g. `timeout -s INT 3`).
HostResult run_host(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                    const std::map<std::string, std::string>& env = {}, const std::string& wrapper = "");

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_text(const std::filesystem::path& file, const std::string& text);
std::string read_text(const std::filesystem::path& file);
// Number of entries in `dir` (0 when it does not exist).
size_t count_entries(const std::filesystem::path& dir);

}  // namespace lighter::test
