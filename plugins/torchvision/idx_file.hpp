#pragma once
// The idx format of MNIST-style datasets (http://yann.lecun.com/exdb/mnist/): a big-endian
// header (magic 0x0000TTDD: element type TT, DD dimensions; then each dimension) and the
// elements. Only unsigned-byte files are used by these datasets.
#include <torch/torch.h>

#include <string>

namespace lighter::torchvision {

// Reads an idx file, gzipped or not, and validates its header against its size. Throws
// std::runtime_error naming the file and what is wrong with it.
torch::Tensor read_idx_images(const std::string& path);  // uint8 [N, rows, cols]
torch::Tensor read_idx_labels(const std::string& path);  // uint8 [N]

}  // namespace lighter::torchvision
