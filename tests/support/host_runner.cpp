#include "support/host_runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace lighter::test {

namespace fs = std::filesystem;

namespace {
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

HostResult run_host(const std::vector<std::string>& args, const fs::path& cwd, const std::map<std::string, std::string>& env,
                    const std::string& wrapper) {
  TempDir capture;
  std::string command = "cd " + shell_quote(cwd.string()) + " && env";
  for (const auto& [key, value] : env) command += value.empty() ? " -u " + key : " " + shell_quote(key + "=" + value);
  command += " " + wrapper + " " + shell_quote(LIGHTER_HOST_PATH);
  for (const auto& arg : args) command += " " + shell_quote(arg);
  command += " >" + shell_quote((capture / "out").string()) + " 2>" + shell_quote((capture / "err").string()) + " </dev/null";
  const int status = std::system(command.c_str());
  HostResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(capture / "out");
  result.err = read_text(capture / "err");
  return result;
}

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path candidate = fs::temp_directory_path() / ("lighter-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    if (fs::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_text(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t count_entries(const fs::path& dir) {
  if (!fs::exists(dir)) return 0;
  size_t n = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++n;
  return n;
}

}  // namespace lighter::test
