#include "idx_file.hpp"

#include "file_bytes.hpp"

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
  const FileBytes file = read_file_bytes(path);
  const uint8_t* bytes = file.data.get();
  const uint32_t expected_magic = (kUnsignedByte << 8) | expected_dims;
  const size_t header_size = 4 * (1 + size_t{expected_dims});
  if (file.size < 4)
    fail(path, "truncated: " + std::to_string(file.size) + " bytes, too short for an idx header");
  const uint32_t magic = big_endian(bytes);
  if (magic != expected_magic)
    fail(path, "bad magic number " + hex(magic) + ", expected " + hex(expected_magic) + " (idx" +
                   std::to_string(expected_dims) + " of unsigned bytes: " + what + ")");
  if (file.size < header_size)
    fail(path, "truncated: the idx header needs " + std::to_string(header_size) + " bytes, the file has " +
                   std::to_string(file.size));
  constexpr uint64_t kMaxElements = uint64_t{1} << 40;
  uint64_t elements = 1;
  std::vector<int64_t> dims;
  for (uint32_t d = 0; d < expected_dims; ++d) {
    const uint32_t size = big_endian(bytes + 4 * (1 + d));
    if (size == 0) fail(path, "dimension " + std::to_string(d) + " of the header is 0");
    if (size > kMaxElements / elements) fail(path, "the header declares an implausibly large array");
    dims.push_back(size);
    elements *= size;
  }
  const uint64_t data_size = file.size - header_size;
  if (data_size < elements)
    fail(path, "truncated: the header declares " + std::to_string(elements) + " bytes of " + what + ", only " +
                   std::to_string(data_size) + " follow");
  if (data_size > elements)
    fail(path, std::to_string(data_size - elements) + " unexpected bytes after the " + std::to_string(elements) +
                   " bytes of " + what + " the header declares");
  // No copy: the tensor keeps the file's memory alive.
  return torch::from_blob(
      file.data.get() + header_size, dims, [keep = file.data](void*) mutable { keep.reset(); }, torch::kUInt8);
}
}  // namespace

torch::Tensor read_idx_images(const std::string& path) { return read_idx(path, 3, "images"); }
torch::Tensor read_idx_labels(const std::string& path) { return read_idx(path, 1, "labels"); }

}  // namespace lighter::torchvision
