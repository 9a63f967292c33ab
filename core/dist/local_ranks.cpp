#include "dist/local_ranks.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "engine/interrupt.hpp"

extern char** environ;

namespace lighter::host::dist {

namespace {

std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  while (start < all.size()) {
    const size_t end = all.find('\0', start);
    args.push_back(all.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (args.empty()) throw std::runtime_error("cannot read this process's command line from /proc/self/cmdline");
  return args;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("cannot open a socket to find a free port: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error(std::string("cannot find a free port: ") + std::strerror(errno));
  return ntohs(address.sin_port);
}

void LocalRanks::start(int64_t count, const std::map<std::string, std::string>& env) {
  const std::vector<std::string> args = own_arguments();
  for (int64_t rank = 1; rank < count; ++rank) {
    std::map<std::string, std::string> vars;
    for (char** entry = environ; *entry; ++entry) {
      const std::string text = *entry;
      const size_t eq = text.find('=');
      if (eq != std::string::npos) vars[text.substr(0, eq)] = text.substr(eq + 1);
    }
    for (const auto& [key, value] : env) vars[key] = value;
    vars["LOCAL_RANK"] = std::to_string(rank);
    std::vector<std::string> env_text;
    for (const auto& [key, value] : vars) env_text.push_back(key + "=" + value);
    std::vector<char*> argv, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : env_text) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), envp.data());
    if (rc != 0) throw std::runtime_error("cannot start local rank " + std::to_string(rank) + ": " + std::strerror(rc));
    pids_.push_back(pid);
    forward_interrupts_to(pids_);
  }
}

int LocalRanks::wait() {
  int first_failure = 0;
  for (pid_t pid : pids_) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const int code = exit_code(status);
    if (code != 0 && first_failure == 0) first_failure = code;
  }
  pids_.clear();
  forward_interrupts_to({});
  return first_failure;
}

LocalRanks::~LocalRanks() {
  if (pids_.empty()) return;
  forward_interrupts_to({});
  // The ranks notice a failed peer within the process group's timeout; give them a moment to
  // report it themselves, then stop them.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::vector<pid_t> running = pids_;
  while (!running.empty() && std::chrono::steady_clock::now() < deadline) {
    std::vector<pid_t> still;
    for (pid_t pid : running) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == 0) still.push_back(pid);
    }
    running = still;
    if (!running.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (pid_t pid : running) ::kill(pid, SIGKILL);
  for (pid_t pid : running) ::waitpid(pid, nullptr, 0);
}

}  // namespace lighter::host::dist
