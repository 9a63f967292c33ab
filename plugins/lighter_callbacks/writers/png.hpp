#pragma once
// PNG encoding for FileWriter's image writers: 8-bit greyscale or RGB, written with zlib.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace lighter::callbacks {

// The bytes of a PNG file of `height` rows of `width` pixels with `channels` (1: grey, 3: RGB)
// interleaved 8-bit samples each, row after row.
std::string encode_png(const uint8_t* pixels, int64_t width, int64_t height, int channels);

// A CHW tensor with 1 or 3 channels as a PNG: floating values are clamped to [0, 1] and scaled
// to 0..255 (rounded to nearest); uint8 values are taken as they are; other types count as
// floating. Throws std::invalid_argument naming the expected layout.
std::string chw_to_png(const torch::Tensor& chw);

}  // namespace lighter::callbacks
