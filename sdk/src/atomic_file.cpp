#include "lighter/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "lighter/log.hpp"

namespace fs = std::filesystem;

namespace lighter {

namespace {

constexpr std::string_view kTempMarker = ".tmp";

[[noreturn]] void fail(const std::string& what, const fs::path& file, int error) {
  throw std::runtime_error(what + " " + file.string() + ": " + std::strerror(error));
}

// The temp file of one write: removed unless committed, whatever fails on the way.
class TempFile {
 public:
  explicit TempFile(fs::path target) : target_(std::move(target)), path_(temp_path_for(target_)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) fail("cannot write", target_, errno);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }

  void write(const char* data, size_t size) {
    while (size > 0) {
      const ssize_t written = ::write(fd_, data, size);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) fail("cannot write", target_, written < 0 ? errno : EIO);
      data += written;
      size -= static_cast<size_t>(written);
    }
  }

  // fsync before the rename: after a crash the target holds the old or the new bytes, never a hole.
  void commit() {
    if (::fsync(fd_) != 0 && errno != EINVAL) fail("cannot write", target_, errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("cannot write", target_, errno);
    if (::rename(path_.c_str(), target_.c_str()) != 0) fail("cannot write", target_, errno);
    committed_ = true;
  }

 private:
  fs::path target_, path_;
  int fd_ = -1;
  bool committed_ = false;
};

// The pid in a `<name>.tmp<pid>` file name, or 0 for any other name.
pid_t temp_owner(const std::string& name) {
  const size_t marker = name.rfind(kTempMarker);
  if (marker == std::string::npos || marker == 0) return 0;
  const std::string digits = name.substr(marker + kTempMarker.size());
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return static_cast<pid_t>(std::stol(digits));
}

}  // namespace

fs::path temp_path_for(const fs::path& file) {
  return file.string() + std::string(kTempMarker) + std::to_string(::getpid());
}

void write_file_atomic(const fs::path& file, std::string_view bytes) {
  TempFile temp(file);
  temp.write(bytes.data(), bytes.size());
  temp.commit();
}

void copy_file_atomic(const fs::path& from, const fs::path& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail("cannot read", from, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{in};
  TempFile temp(to);
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(in, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read", from, errno);
    if (got == 0) break;
    temp.write(buffer, static_cast<size_t>(got));
  }
  temp.commit();
}

size_t remove_stale_temps(const fs::path& dir) {
  size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const pid_t owner = temp_owner(it->path().filename().string());
    if (owner <= 0 || owner == ::getpid()) continue;
    if (::kill(owner, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge (EPERM)
    std::error_code remove_error;
    if (fs::remove(it->path(), remove_error)) {
      ++removed;
      log::info("removed " + it->path().string() + ", left by process " + std::to_string(owner) + " which no longer runs");
    }
  }
  return removed;
}

}  // namespace lighter
