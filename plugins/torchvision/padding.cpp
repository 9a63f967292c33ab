#include "padding.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace lighter::torchvision {

namespace {
const char* name_of(PaddingMode mode) {
  switch (mode) {
    case PaddingMode::Constant:
      return "constant";
    case PaddingMode::Edge:
      return "edge";
    case PaddingMode::Reflect:
      return "reflect";
    case PaddingMode::Symmetric:
      return "symmetric";
  }
  return "?";
}

// For each position of the padded axis, the source position it copies.
torch::Tensor source_positions(int64_t size, int64_t before, int64_t after, PaddingMode mode, const char* axis) {
  // reflect cannot repeat the border, so it mirrors at most size - 1 positions.
  const int64_t most = mode == PaddingMode::Reflect ? size - 1 : mode == PaddingMode::Symmetric ? size : INT64_MAX;
  if (before > most || after > most)
    throw std::invalid_argument(std::string(name_of(mode)) + " padding of " + std::to_string(std::max(before, after)) +
                                " exceeds what an image of " + axis + " " + std::to_string(size) + " can mirror (" +
                                std::to_string(most) + ")");
  std::vector<int64_t> positions;
  positions.reserve(before + size + after);
  for (int64_t p = -before; p < size + after; ++p) {
    int64_t q = p;
    if (mode == PaddingMode::Edge)
      q = std::clamp<int64_t>(p, 0, size - 1);
    else if (mode == PaddingMode::Reflect)
      q = p < 0 ? -p : p >= size ? 2 * (size - 1) - p : p;
    else if (mode == PaddingMode::Symmetric)
      q = p < 0 ? -p - 1 : p >= size ? 2 * size - 1 - p : p;
    positions.push_back(q);
  }
  return torch::tensor(positions, torch::kLong);
}
}  // namespace

torch::Tensor pad(const torch::Tensor& image, const Padding& padding, PaddingMode mode, double fill) {
  if (padding.left < 0 || padding.top < 0 || padding.right < 0 || padding.bottom < 0)
    throw std::invalid_argument("padding must not be negative");
  if (padding.empty()) return image;
  if (mode == PaddingMode::Constant)
    return torch::constant_pad_nd(image, {padding.left, padding.right, padding.top, padding.bottom}, fill);
  const int64_t height = image.size(-2), width = image.size(-1);
  return image.index_select(-2, source_positions(height, padding.top, padding.bottom, mode, "height"))
      .index_select(-1, source_positions(width, padding.left, padding.right, mode, "width"));
}

}  // namespace lighter::torchvision
