#include "support/full_disk.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace lighter::test {

namespace {

const char kFiller[] = ".filler";

// Once per process: a mount namespace of our own, so that mounts stay invisible to the machine
// and vanish with the process.
std::optional<std::string> enter_private_namespace() {
  static std::optional<std::string> failure = []() -> std::optional<std::string> {
    if (::unshare(CLONE_NEWNS) != 0) return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      return std::string("mount --make-rprivate /: ") + std::strerror(errno);
    return std::nullopt;
  }();
  return failure;
}

fs::path fresh_dir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path candidate = fs::temp_directory_path() / ("lighter-disk-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    if (fs::create_directory(candidate)) return candidate;
  }
  throw std::runtime_error("cannot create a mount point");
}

}  // namespace

std::optional<std::string> SmallDisk::unavailable() {
  if (auto failure = enter_private_namespace()) return failure;
  const fs::path probe = fresh_dir();
  const bool mounted = ::mount("tmpfs", probe.c_str(), "tmpfs", 0, "size=64k") == 0;
  const std::string why = mounted ? std::string() : std::string("mount -t tmpfs: ") + std::strerror(errno);
  if (mounted) ::umount(probe.c_str());
  fs::remove(probe);
  if (!mounted) return why;
  return std::nullopt;
}

SmallDisk::SmallDisk(uint64_t bytes) {
  if (auto failure = enter_private_namespace()) throw std::runtime_error(*failure);
  path_ = fresh_dir();
  const std::string options = "size=" + std::to_string(bytes);
  if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    fs::remove(path_);
    throw std::runtime_error("mount -t tmpfs: " + why);
  }
}

SmallDisk::~SmallDisk() {
  ::umount2(path_.c_str(), MNT_DETACH);
  std::error_code ignored;
  fs::remove(path_, ignored);
}

uint64_t SmallDisk::bytes_free() const {
  struct statvfs info {};
  if (::statvfs(path_.c_str(), &info) != 0) throw std::runtime_error(std::string("statvfs: ") + std::strerror(errno));
  return static_cast<uint64_t>(info.f_bavail) * info.f_frsize;
}

void SmallDisk::fill(uint64_t bytes_left) {
  const int fd = ::open((path_ / kFiller).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) throw std::runtime_error(std::string("open filler: ") + std::strerror(errno));
  const std::vector<char> block(4096, 'x');
  // tmpfs allocates whole pages: write page by page, then byte by byte into the last one.
  while (bytes_free() > bytes_left) {
    const uint64_t excess = bytes_free() - bytes_left;
    const size_t chunk = excess >= block.size() ? block.size() : 1;
    if (::write(fd, block.data(), chunk) < 0) break;  // ENOSPC: as full as it gets
  }
  ::close(fd);
}

void SmallDisk::free_space() {
  std::error_code ignored;
  fs::remove(path_ / kFiller, ignored);
}

}  // namespace lighter::test
