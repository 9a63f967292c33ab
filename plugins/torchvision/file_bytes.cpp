#include "file_bytes.hpp"
#include "lighter/atomic_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <vector>

#include <lighter/log.hpp>

namespace lighter::torchvision {

namespace fs = std::filesystem;

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw std::runtime_error(path + ": " + message);
}

FileBytes from_vector(std::vector<uint8_t> bytes) {
  auto holder = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  return {std::shared_ptr<uint8_t>(holder, holder->data()), holder->size()};
}

// Whether the file is gzipped, and how big its contents are: the file's size, or for gzip the
// trailer's uncompressed size (mod 2^32).
struct Probe {
  bool gzip = false;
  uint32_t inflated_size = 0;
  size_t size_hint = 0;  // inflated_size when plausible, for allocating once
};

Probe probe(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) fail(path, std::string("cannot open: ") + std::strerror(errno));
  unsigned char head[2] = {0, 0}, tail[4] = {0, 0, 0, 0};
  Probe p;
  p.gzip = std::fread(head, 1, 2, file.get()) == 2 && head[0] == 0x1f && head[1] == 0x8b;
  if (std::fseek(file.get(), 0, SEEK_END) != 0) return p;
  const long file_size = std::ftell(file.get());
  if (!p.gzip) {
    p.size_hint = file_size > 0 ? static_cast<size_t>(file_size) : 0;
    return p;
  }
  if (std::fseek(file.get(), -4, SEEK_END) == 0 && std::fread(tail, 1, 4, file.get()) == 4)
    p.inflated_size = uint32_t{tail[0]} | uint32_t{tail[1]} << 8 | uint32_t{tail[2]} << 16 | uint32_t{tail[3]} << 24;
  // A cut-off file ends in arbitrary bytes: trust the trailer only as far as images compress.
  if (p.inflated_size <= 64 * static_cast<uint64_t>(std::max(file_size, 0L))) p.size_hint = p.inflated_size;
  return p;
}

// gzread also passes a file that is not gzipped through unchanged.
std::vector<uint8_t> read_all(const std::string& path, size_t size_hint) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
  if (!file) fail(path, std::string("cannot open: ") + std::strerror(errno));
  gzbuffer(file.get(), 1 << 20);
  // One byte past the hint, so a right hint ends with a read of 0 bytes and no reallocation.
  std::vector<uint8_t> bytes(std::max<size_t>(size_hint, 1 << 16) + 1);
  size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(2 * bytes.size());
    const auto chunk = static_cast<unsigned>(std::min<size_t>(bytes.size() - used, 1u << 30));
    const int n = gzread(file.get(), bytes.data() + used, chunk);
    if (n <= 0) break;
    used += static_cast<size_t>(n);
  }
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  if (code == Z_BUF_ERROR) fail(path, "truncated gzip stream (the download or copy was cut short)");
  if (code != Z_OK) fail(path, std::string("cannot read: ") + message);
  bytes.resize(used);
  return bytes;
}

std::optional<fs::path> cache_dir() {
  if (const char* dir = std::getenv("LIGHTER_CACHE_DIR")) {
    if (*dir == '\0') return std::nullopt;
    return fs::path(dir);
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "lighter";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "lighter";
  return std::nullopt;
}

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// <cache>/datasets/<hash of path, size and mtime>-<name without .gz>, or nothing without a cache.
std::optional<fs::path> cached_copy_of(const std::string& path) {
  const auto dir = cache_dir();
  if (!dir) return std::nullopt;
  struct stat st {};
  std::error_code ec;
  const fs::path source = fs::canonical(path, ec);
  if (ec || ::stat(source.c_str(), &st) != 0) return std::nullopt;
  const std::string key = source.string() + '\n' + std::to_string(st.st_size) + '\n' +
                          std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec);
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a(key)));
  std::string name = source.filename().string();
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0) name.resize(name.size() - 3);
  return *dir / "datasets" / (std::string(hash) + "-" + name);
}

// A private (copy-on-write) mapping of the cached copy, if it exists with the expected size
// (mod 2^32). Only the cache is mapped: it is replaced by renaming, never rewritten in place.
std::optional<FileBytes> map_cached(const fs::path& file, uint32_t expected_size) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  void* memory = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && st.st_size > 0 && static_cast<uint32_t>(st.st_size) == expected_size)
    memory = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (memory == MAP_FAILED) return std::nullopt;
  const auto size = static_cast<size_t>(st.st_size);
  return FileBytes{std::shared_ptr<uint8_t>(static_cast<uint8_t*>(memory), [size](uint8_t* p) { ::munmap(p, size); }),
                   size};
}

void write_cached(const fs::path& file, const std::vector<uint8_t>& bytes) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const std::string temporary = temp_path_for(file).string();
  std::unique_ptr<FILE, int (*)(FILE*)> out(ec ? nullptr : std::fopen(temporary.c_str(), "wb"), std::fclose);
  bool ok = out && std::fwrite(bytes.data(), 1, bytes.size(), out.get()) == bytes.size();
  ok = out && std::fclose(out.release()) == 0 && ok;
  if (ok && std::rename(temporary.c_str(), file.c_str()) == 0) return;
  std::remove(temporary.c_str());
  log::debug("cannot keep an inflated copy in " + file.parent_path().string() + " (set LIGHTER_CACHE_DIR to a " +
             "writable folder, or to nothing to stop trying)");
}
}  // namespace

FileBytes read_file_bytes(const std::string& path) {
  const Probe p = probe(path);
  if (!p.gzip) return from_vector(read_all(path, p.size_hint));
  const auto cached = cached_copy_of(path);
  if (cached)
    if (auto copy = map_cached(*cached, p.inflated_size)) {
      log::debug(path + ": using the inflated copy " + cached->string());
      return *copy;
    }
  std::vector<uint8_t> bytes = read_all(path, p.size_hint);
  if (cached) write_cached(*cached, bytes);
  return from_vector(std::move(bytes));
}

}  // namespace lighter::torchvision
