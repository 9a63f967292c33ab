#pragma once
// A real full disk for tests: a small tmpfs mounted in a private mount namespace of the test
// process (children such as lighter-host see it too; the rest of the machine does not). Needs
// root (or CAP_SYS_ADMIN); `available()` says whether it can be had here.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace lighter::test {

class SmallDisk {
 public:
  // Why a small disk cannot be mounted here, or nullopt when it can.
  static std::optional<std::string> unavailable();

  explicit SmallDisk(uint64_t bytes);  // throws when unavailable()
  ~SmallDisk();
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Fills the disk with a filler file until at most `bytes_left` bytes remain free.
  void fill(uint64_t bytes_left = 0);
  // Deletes the filler file: the space is free again.
  void free_space();
  uint64_t bytes_free() const;

 private:
  std::filesystem::path path_;
};

}  // namespace lighter::test
