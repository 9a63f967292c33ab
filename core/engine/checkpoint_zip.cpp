#include "engine/checkpoint_zip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/checkpoint.hpp"

namespace lighter::host {

namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEnd = 0x06054b50;
constexpr uint32_t kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22;
constexpr uint32_t kStored = 0, kDeflated = 8;

class Archive {
 public:
  Archive(std::string_view bytes, const std::filesystem::path& file) : bytes_(bytes), file_(file) {}

  void check() {
    const size_t end = find_end();
    uint64_t entries = u16(end + 10), directory_size = u32(end + 12), directory_offset = u32(end + 16);
    size_t directory_limit = end;
    if (entries == 0xFFFF || directory_size == 0xFFFFFFFF || directory_offset == 0xFFFFFFFF)
      directory_limit = read_zip64_end(end, entries, directory_size, directory_offset);
    if (directory_offset > directory_limit || directory_size > directory_limit - directory_offset ||
        entries > directory_size / kCentralSize)
      damaged("its central directory lies outside the file (truncated?)");
    size_t at = directory_offset;
    for (uint64_t i = 0; i < entries; ++i) at = check_entry(at, directory_offset);
    if (at != directory_offset + directory_size) damaged("its central directory has a wrong size");
  }

 private:
  [[noreturn]] void damaged(const std::string& what) const {
    throw CheckpointError(file_, "is damaged: " + what + "; it cannot be loaded (write it again, or use another checkpoint)");
  }
  void need(size_t at, size_t size, const char* what) const {
    if (at > bytes_.size() || size > bytes_.size() - at) damaged(std::string(what) + " runs past the end of the file (truncated?)");
  }
  uint64_t le(size_t at, int size) const {
    need(at, static_cast<size_t>(size), "a zip header");
    uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes_[at + static_cast<size_t>(i)]);
    return value;
  }
  uint32_t u16(size_t at) const { return static_cast<uint32_t>(le(at, 2)); }
  uint32_t u32(size_t at) const { return static_cast<uint32_t>(le(at, 4)); }
  uint64_t u64(size_t at) const { return le(at, 8); }

  size_t find_end() const {
    if (bytes_.size() < kEndSize || u32(0) != kLocalHeader)
      throw CheckpointError(file_, "is not a torch checkpoint (not a zip archive, or empty); give a file that torch.save or lighter wrote");
    const size_t last = bytes_.size() - kEndSize, first = last > 0xFFFF ? last - 0xFFFF : 0;
    for (size_t at = last + 1; at-- > first;)
      if (u32(at) == kEnd && at + kEndSize + u16(at + 20) == bytes_.size()) return at;
    damaged("its zip end record is missing (truncated?)");
  }

  // Returns where the zip64 end record starts: the central directory must end before it.
  size_t read_zip64_end(size_t end, uint64_t& entries, uint64_t& directory_size, uint64_t& directory_offset) const {
    if (end < 20 || u32(end - 20) != kZip64Locator) damaged("its zip64 end locator is missing");
    const uint64_t at = u64(end - 20 + 8);
    if (at > end - 20 || u32(static_cast<size_t>(at)) != kZip64End) damaged("its zip64 end record is missing");
    entries = u64(static_cast<size_t>(at) + 32);
    directory_size = u64(static_cast<size_t>(at) + 40);
    directory_offset = u64(static_cast<size_t>(at) + 48);
    return static_cast<size_t>(at);
  }

  // Checks one central directory entry and its record; returns where the next entry starts.
  size_t check_entry(size_t at, size_t directory_offset) const {
    if (u32(at) != kCentralHeader) damaged("its central directory is corrupt at byte " + std::to_string(at));
    const uint32_t method = u16(at + 10), crc = u32(at + 16);
    uint64_t compressed = u32(at + 20), size = u32(at + 24), local = u32(at + 42);
    const size_t name_size = u16(at + 28), extra_size = u16(at + 30), comment_size = u16(at + 32);
    need(at + kCentralSize, name_size + extra_size + comment_size, "a central directory entry");
    const std::string name(bytes_.substr(at + kCentralSize, name_size));
    read_zip64_extra(at + kCentralSize + name_size, extra_size, size, compressed, local);
    const std::string record = "record '" + name + "'";

    if (local >= directory_offset || u32(static_cast<size_t>(local)) != kLocalHeader)
      damaged(record + " has no local header where the central directory says");
    const size_t header = static_cast<size_t>(local);
    const size_t local_name_size = u16(header + 26), local_extra_size = u16(header + 28);
    need(header + kLocalSize, local_name_size + local_extra_size, "a local header");
    if (bytes_.substr(header + kLocalSize, local_name_size) != name || u16(header + 8) != method)
      damaged(record + ": its local header does not match the central directory");
    const size_t data = header + kLocalSize + local_name_size + local_extra_size;
    if (data > directory_offset || compressed > directory_offset - data) damaged(record + " runs into the central directory (truncated?)");
    const std::string_view stored = bytes_.substr(data, static_cast<size_t>(compressed));
    if (method == kStored ? compressed != size : method != kDeflated)
      damaged(record + " has an unknown compression (method " + std::to_string(method) + ")");
    if (crc_of(stored, method, size) != crc) damaged(record + " fails its CRC-32 check (its bytes changed)");
    return at + kCentralSize + name_size + extra_size + comment_size;
  }

  // Zip64 sizes and offsets replace the 32-bit fields that are 0xFFFFFFFF, in this order.
  void read_zip64_extra(size_t at, size_t extra_size, uint64_t& size, uint64_t& compressed, uint64_t& local) const {
    for (size_t end = at + extra_size; at + 4 <= end;) {
      const uint32_t id = u16(at), field_size = u16(at + 2);
      if (at + 4 + field_size > end) damaged("a central directory entry has a corrupt extra field");
      if (id == 1) {
        size_t field = at + 4;
        for (uint64_t* value : {&size, &compressed, &local}) {
          if (*value != 0xFFFFFFFF) continue;
          if (field + 8 > at + 4 + field_size) damaged("a central directory entry has a short zip64 field");
          *value = u64(field);
          field += 8;
        }
      }
      at += 4 + field_size;
    }
  }

  uint32_t crc_of(std::string_view data, uint32_t method, uint64_t size) const {
    if (method == kStored) return crc_of_bytes(data);
    if (size > 0xFFFFFFFF || data.size() > 0xFFFFFFFF) damaged("a compressed record is larger than 4 GiB");
    std::vector<unsigned char> out(static_cast<size_t>(size));
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) damaged("zlib could not start");
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    const int result = inflate(&stream, Z_FINISH);
    const uint64_t produced = stream.total_out;
    inflateEnd(&stream);
    if (result != Z_STREAM_END || produced != size) return ~crc_of_bytes({});  // cannot match
    return crc_of_bytes({reinterpret_cast<const char*>(out.data()), out.size()});
  }

  static uint32_t crc_of_bytes(std::string_view data) {
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < data.size();) {  // zlib takes at most 4 GiB a call
      const uInt chunk = static_cast<uInt>(std::min<size_t>(data.size() - done, 1u << 30));
      crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + done), chunk);
      done += chunk;
    }
    return static_cast<uint32_t>(crc);
  }

  std::string_view bytes_;
  const std::filesystem::path& file_;
};

}  // namespace

void check_zip_archive(std::string_view bytes, const std::filesystem::path& file) { Archive(bytes, file).check(); }

}  // namespace lighter::host
