#include "whole_writes.hpp"
#include "lighter/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace fs = std::filesystem;

namespace lighter::lightning {

namespace {
[[noreturn]] void fail(const std::string& owner, const std::string& what, const fs::path& file, int error) {
  throw std::runtime_error(owner + ": cannot " + what + " " + file.string() + ": " + std::strerror(error));
}

// 0, or the errno of the write that failed.
int write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}
}  // namespace

void append_whole(int fd, const std::string& data, const fs::path& file, const std::string& owner) {
  struct stat before {};
  if (::fstat(fd, &before) != 0) fail(owner, "read the size of", file, errno);
  const int error = write_all(fd, data);
  if (error == 0) return;
  if (::ftruncate(fd, before.st_size) != 0)
    throw std::runtime_error(owner + ": cannot write " + file.string() + ": " + std::strerror(error) +
                             "; truncating it back to its last complete record failed too: " + std::strerror(errno));
  fail(owner, "write", file, error);
}

void replace_whole(const fs::path& file, const std::string& data, const std::string& owner) {
  const fs::path temp = temp_path_for(file);  // a kill -9 leaves it for remove_stale_temps
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(owner, "create", temp, errno);
  int error = write_all(fd, data);
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && ::rename(temp.c_str(), file.c_str()) != 0) error = errno;
  if (error == 0) return;
  ::unlink(temp.c_str());
  fail(owner, "write", file, error);
}

}  // namespace lighter::lightning
