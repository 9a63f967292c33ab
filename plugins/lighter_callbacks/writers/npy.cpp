// .npy files byte for byte as NumPy (>= 1.24) saves them, so np.load reads them back.
#include "npy.hpp"

#include <stdexcept>

namespace lighter::callbacks {

namespace {
constexpr char byte_order = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? '<' : '>';
constexpr size_t array_align = 64;
constexpr size_t growth_axis_digits = 21;  // NumPy leaves room for the first dim to grow in place

std::string python_shape(const std::vector<int64_t>& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");
}
}  // namespace

std::string npy_descr(torch::ScalarType type) {
  const std::string order(1, byte_order);
  switch (type) {
    case torch::kBool: return "|b1";
    case torch::kUInt8: return "|u1";
    case torch::kInt8: return "|i1";
    case torch::kInt16: return order + "i2";
    case torch::kInt32: return order + "i4";
    case torch::kInt64: return order + "i8";
    case torch::kFloat16: return order + "f2";
    case torch::kFloat32: return order + "f4";
    case torch::kFloat64: return order + "f8";
    case torch::kComplexFloat: return order + "c8";
    case torch::kComplexDouble: return order + "c16";
    default: throw std::invalid_argument(std::string("NumPy has no dtype for ") + c10::toString(type));
  }
}

std::string npy_header(const std::string& descr, const std::vector<int64_t>& shape) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + python_shape(shape) + ", }";
  if (!shape.empty()) {
    const size_t digits = std::to_string(shape[0]).size();
    if (digits < growth_axis_digits) dict.append(growth_axis_digits - digits, ' ');
  }
  const size_t prefix = 6 + 2 + 2;  // magic, version, header length
  const size_t with_newline = dict.size() + 1;
  const size_t padding = array_align - (prefix + with_newline) % array_align;
  const size_t length = with_newline + padding;
  if (length > 0xffff) throw std::invalid_argument("the .npy header is too long for format 1.0 (" + std::to_string(shape.size()) + " dims)");
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(length & 0xffu));
  out.push_back(static_cast<char>(length >> 8));
  out += dict;
  out.append(padding, ' ');
  out.push_back('\n');
  return out;
}

std::string encode_npy(const torch::Tensor& tensor) {
  torch::Tensor data = tensor.detach().to(torch::kCPU);
  if (data.scalar_type() == torch::kBFloat16) data = data.to(torch::kFloat32);
  const std::string descr = npy_descr(data.scalar_type());
  data = data.contiguous();
  std::string out = npy_header(descr, data.sizes().vec());
  out.append(static_cast<const char*>(data.data_ptr()), data.nbytes());
  return out;
}

}  // namespace lighter::callbacks
