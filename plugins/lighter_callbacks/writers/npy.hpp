#pragma once
// NumPy's .npy format (version 1.0) for FileWriter's `npy` writer.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace lighter::callbacks {

// NumPy's dtype string for a tensor type ("<f4", "<i8", "|u1", "|b1", ...); throws
// std::invalid_argument for types NumPy has no equivalent of.
std::string npy_descr(torch::ScalarType type);

// The header np.save writes: magic, version 1.0, header length, the dict padded with spaces
// so the data starts at a multiple of 64 bytes, and a final '\n'.
std::string npy_header(const std::string& descr, const std::vector<int64_t>& shape);

// The whole file: header and the tensor's data in C order (bfloat16 is stored as float32).
std::string encode_npy(const torch::Tensor& tensor);

}  // namespace lighter::callbacks
