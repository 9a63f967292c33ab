#include "idx_file.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

namespace lighter::torchvision {

namespace {
constexpr uint8_t kUnsignedByte = 0x08;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw std::runtime_error(path + ": " + message);
}

// The whole file's bytes; gzread passes files that are not gzipped through unchanged.
std::vector<uint8_t> read_bytes(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
  if (!file) fail(path, std::string("cannot open: ") + std::strerror(errno));
  gzbuffer(file.get(), 1 << 20);
  std::vector<uint8_t> bytes;
  constexpr size_t kChunk = 1 << 20;
  for (;;) {
    const size_t old_size = bytes.size();
    bytes.resize(old_size + kChunk);
    const int n = gzread(file.get(), bytes.data() + old_size, kChunk);
    if (n < 0) break;
    bytes.resize(old_size + static_cast<size_t>(n));
    if (n == 0) break;
  }
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  if (code == Z_BUF_ERROR) fail(path, "truncated gzip stream (the download or copy was cut short)");
  if (code != Z_OK) fail(path, std::string("cannot read: ") + message);
  return bytes;
}

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string hex(uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08X", value);
  return text;
}

// Reads an unsigned-byte idx file with `expected_dims` dimensions, validating its header.
torch::Tensor read_idx(const std::string& path, uint32_t expected_dims, const char* what) {
  std::vector<uint8_t> bytes = read_bytes(path);
  const uint32_t expected_magic = (kUnsignedByte << 8) | expected_dims;
  const size_t header_size = 4 * (1 + size_t{expected_dims});
  if (bytes.size() < 4)
    fail(path, "truncated: " + std::to_string(bytes.size()) + " bytes, too short for an idx header");
  const uint32_t magic = big_endian(bytes.data());
  if (magic != expected_magic)
    fail(path, "bad magic number " + hex(magic) + ", expected " + hex(expected_magic) + " (idx" +
                   std::to_string(expected_dims) + " of unsigned bytes: " + what + ")");
  if (bytes.size() < header_size)
    fail(path, "truncated: the idx header needs " + std::to_string(header_size) + " bytes, the file has " +
                   std::to_string(bytes.size()));
  constexpr uint64_t kMaxElements = uint64_t{1} << 40;
  uint64_t elements = 1;
  std::vector<int64_t> dims;
  for (uint32_t d = 0; d < expected_dims; ++d) {
    const uint32_t size = big_endian(bytes.data() + 4 * (1 + d));
    if (size == 0) fail(path, "dimension " + std::to_string(d) + " of the header is 0");
    if (size > kMaxElements / elements) fail(path, "the header declares an implausibly large array");
    dims.push_back(size);
    elements *= size;
  }
  const uint64_t data_size = bytes.size() - header_size;
  if (data_size < elements)
    fail(path, "truncated: the header declares " + std::to_string(elements) + " bytes of " + what + ", only " +
                   std::to_string(data_size) + " follow");
  if (data_size > elements)
    fail(path, std::to_string(data_size - elements) + " unexpected bytes after the " + std::to_string(elements) +
                   " bytes of " + what + " the header declares");
  return torch::from_blob(bytes.data() + header_size, dims, torch::kUInt8).clone();
}
}  // namespace

torch::Tensor read_idx_images(const std::string& path) { return read_idx(path, 3, "images"); }
torch::Tensor read_idx_labels(const std::string& path) { return read_idx(path, 1, "labels"); }

}  // namespace lighter::torchvision
