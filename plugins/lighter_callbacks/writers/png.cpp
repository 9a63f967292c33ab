// A minimal PNG encoder: signature, IHDR, one IDAT (zlib stream of filter-0 rows), IEND.
#include "png.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace lighter::callbacks {

namespace {
void put_u32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xffu));
}

// A chunk: length, type, data, CRC-32 over type and data.
void put_chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const size_t type_at = out.size();
  out.append(type, 4);
  out += data;
  const auto* bytes = reinterpret_cast<const Bytef*>(out.data() + type_at);
  put_u32(out, static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), bytes, static_cast<uInt>(4 + data.size()))));
}

std::string deflate(const std::string& raw) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  const int status = compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                               static_cast<uLong>(raw.size()), Z_DEFAULT_COMPRESSION);
  if (status != Z_OK) throw std::runtime_error("zlib compression failed (status " + std::to_string(status) + ")");
  out.resize(size);
  return out;
}

// Clamped to [0, 1] (NaN counts as 0), scaled to 0..255, rounded to nearest.
uint8_t to_byte(float value) {
  if (!(value > 0.0f)) return 0;
  if (value >= 1.0f) return 255;
  return static_cast<uint8_t>(std::floor(static_cast<double>(value) * 255.0 + 0.5));
}
}  // namespace

std::string encode_png(const uint8_t* pixels, int64_t width, int64_t height, int channels) {
  constexpr int64_t limit = std::numeric_limits<int32_t>::max();
  if (width < 1 || height < 1 || width > limit || height > limit)
    throw std::invalid_argument("a PNG needs 1 to 2^31-1 rows and columns, got " + std::to_string(height) + " x " +
                                std::to_string(width));
  const auto row_bytes = static_cast<size_t>(width * channels);
  std::string raw;
  raw.reserve((row_bytes + 1) * static_cast<size_t>(height));
  for (int64_t y = 0; y < height; ++y) {
    raw.push_back('\0');  // filter type 0: the row as it is
    raw.append(reinterpret_cast<const char*>(pixels) + static_cast<size_t>(y) * row_bytes, row_bytes);
  }
  std::string header;
  put_u32(header, static_cast<uint32_t>(width));
  put_u32(header, static_cast<uint32_t>(height));
  // Bit depth 8, colour type (0 grey, 2 RGB), deflate, adaptive filtering, no interlace.
  header += {'\x08', static_cast<char>(channels == 3 ? 2 : 0), '\0', '\0', '\0'};
  std::string png("\x89PNG\r\n\x1a\n", 8);
  put_chunk(png, "IHDR", header);
  put_chunk(png, "IDAT", deflate(raw));
  put_chunk(png, "IEND", "");
  return png;
}

std::string chw_to_png(const torch::Tensor& chw) {
  if (chw.dim() != 3 || (chw.size(0) != 1 && chw.size(0) != 3))
    throw std::invalid_argument("expected a tensor laid out CHW with 1 or 3 channels, got shape " + c10::str(chw.sizes()));
  torch::Tensor hwc = chw.detach().to(torch::kCPU).permute({1, 2, 0});
  std::vector<uint8_t> pixels(static_cast<size_t>(hwc.numel()));
  if (hwc.scalar_type() == torch::kUInt8) {
    hwc = hwc.contiguous();
    std::copy_n(hwc.data_ptr<uint8_t>(), pixels.size(), pixels.begin());
  } else {
    hwc = hwc.to(torch::kFloat).contiguous();
    const float* values = hwc.data_ptr<float>();
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = to_byte(values[i]);
  }
  return encode_png(pixels.data(), hwc.size(1), hwc.size(0), static_cast<int>(hwc.size(2)));
}

}  // namespace lighter::callbacks
