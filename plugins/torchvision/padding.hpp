#pragma once
// torchvision.transforms.functional.pad for tensors: pads the last two dimensions (H, W).
#include <torch/torch.h>

#include <string>

namespace lighter::torchvision {

// constant: `fill`; edge: repeats the border; reflect: mirrors without repeating the border
// (3 2 | 1 2 3 | 2 1); symmetric: mirrors with it (2 1 | 1 2 3 | 3 2).
enum class PaddingMode { Constant, Edge, Reflect, Symmetric };

struct Padding {
  int64_t left = 0, top = 0, right = 0, bottom = 0;
  bool empty() const { return left == 0 && top == 0 && right == 0 && bottom == 0; }
};

// Throws std::invalid_argument when a mirroring mode pads more than the image can mirror.
torch::Tensor pad(const torch::Tensor& image, const Padding& padding, PaddingMode mode, double fill);

}  // namespace lighter::torchvision
