#pragma once
// The bytes of a data file, gzipped or not. A gzipped file is inflated once and kept
// uncompressed in the cache folder (as torchvision extracts its downloads into raw/), so later
// runs map it instead of inflating it again: the 26 MB of Fashion-MNIST's training images take
// ~0.2 s to inflate and ~0 s to map.
//
// The cache folder is $LIGHTER_CACHE_DIR, else $XDG_CACHE_HOME/lighter, else ~/.cache/lighter;
// LIGHTER_CACHE_DIR set to an empty value turns the cache off. A cached copy is named after the
// source's path, size and modification time, and written under a temporary name then renamed,
// so it is either complete or absent. A folder that cannot be written only costs the speed-up.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lighter::torchvision {

struct FileBytes {
  std::shared_ptr<uint8_t> data;  // owns the memory: a buffer, or a private (copy-on-write) mapping
  size_t size = 0;
};

// Throws std::runtime_error naming the file (cannot open, truncated gzip stream, ...).
FileBytes read_file_bytes(const std::string& path);

}  // namespace lighter::torchvision
