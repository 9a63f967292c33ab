// FileWriter's built-in writer functions (`writer_fn = "..."`): tensor (.pt), image_2d and
// image_3d (.png), text (.txt) and npy (.npy). Each gets one sample's value and the file to write
// (FileWriter writes to a temp file and renames it, so these write plainly). Errors say what was
// expected, or the system's reason a write failed; FileWriter prefixes the writer's name.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <lighter/python_float.hpp>
#include "../registrations.hpp"
#include "npy.hpp"
#include "png.hpp"

namespace lighter::callbacks {

namespace {

void write_bytes(const std::filesystem::path& file, const char* data, size_t size) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
  int error = 0;
  for (size_t done = 0; done < size && !error;) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n >= 0) done += static_cast<size_t>(n);
    else if (errno != EINTR) error = errno;
  }
  if (::close(fd) != 0 && !error) error = errno;
  if (error) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(error));
}
void write_bytes(const std::filesystem::path& file, const std::string& bytes) {
  write_bytes(file, bytes.data(), bytes.size());
}

torch::Tensor tensor_of(const c10::IValue& value, const std::string& layout) {
  if (!value.isTensor()) throw std::invalid_argument("expected a tensor laid out " + layout + ", got a " + value.tagKind());
  return value.toTensor().detach().to(torch::kCPU);
}

// --- tensor: torch.load-compatible pickle (zip) files ---------------------------------------

void write_tensor(const std::filesystem::path& file, const c10::IValue& value) {
  c10::IValue saved = value;
  // A sample is a view of its batch: a clone keeps the file from holding the whole batch's storage.
  if (value.isTensor()) saved = value.toTensor().detach().to(torch::kCPU).clone(at::MemoryFormat::Contiguous);
  const std::vector<char> bytes = torch::pickle_save(saved);
  write_bytes(file, bytes.data(), bytes.size());
}

// --- text: strings as they are, numbers as Python prints them, tensors one row per line ------

std::string float32_text(float value) {
  if (!std::isfinite(value)) return python_float(value);
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;  // shortest float digits
  return python_float(std::strtod(std::string(buffer, end).c_str(), nullptr));
}

std::vector<std::string> element_texts(const torch::Tensor& tensor) {
  std::vector<std::string> texts;
  texts.reserve(static_cast<size_t>(tensor.numel()));
  if (tensor.is_complex()) throw std::invalid_argument("complex tensors have no text form; use 'npy' or 'tensor'");
  if (tensor.scalar_type() == torch::kBool) {
    const torch::Tensor t = tensor.contiguous();
    for (int64_t i = 0; i < t.numel(); ++i) texts.push_back(t.data_ptr<bool>()[i] ? "True" : "False");
  } else if (!tensor.is_floating_point()) {
    const torch::Tensor t = tensor.to(torch::kLong).contiguous();
    for (int64_t i = 0; i < t.numel(); ++i) texts.push_back(std::to_string(t.data_ptr<int64_t>()[i]));
  } else if (tensor.scalar_type() == torch::kDouble) {
    const torch::Tensor t = tensor.contiguous();
    for (int64_t i = 0; i < t.numel(); ++i) texts.push_back(python_float(t.data_ptr<double>()[i]));
  } else {
    const torch::Tensor t = tensor.to(torch::kFloat).contiguous();
    for (int64_t i = 0; i < t.numel(); ++i) texts.push_back(float32_text(t.data_ptr<float>()[i]));
  }
  return texts;
}

// 0-d: the value; otherwise the last dim's values space-separated, one line per row.
std::string tensor_text(const torch::Tensor& tensor) {
  if (tensor.numel() == 0) return "";
  const int64_t row = tensor.dim() == 0 ? 1 : tensor.size(-1);
  const std::vector<std::string> texts = element_texts(tensor);
  std::string out;
  for (size_t i = 0; i < texts.size(); ++i) {
    out += texts[i];
    out += (static_cast<int64_t>(i + 1) % row == 0) ? "\n" : " ";
  }
  return out;
}

std::string text_of(const c10::IValue& value) {
  if (value.isString()) return value.toStringRef();
  if (value.isInt()) return std::to_string(value.toInt()) + "\n";
  if (value.isDouble()) return python_float(value.toDouble()) + "\n";
  if (value.isBool()) return value.toBool() ? "True\n" : "False\n";
  if (value.isTensor()) return tensor_text(value.toTensor().detach().to(torch::kCPU));
  throw std::invalid_argument(std::string("expected a string, a number or a tensor, got a ") + value.tagKind());
}

void write_text(const std::filesystem::path& file, const c10::IValue& value) { write_bytes(file, text_of(value)); }

// --- images -----------------------------------------------------------------------------------

void write_image_2d(const std::filesystem::path& file, const c10::IValue& value) {
  write_bytes(file, chw_to_png(tensor_of(value, "CHW with 1 or 3 channels")));
}

// Depth slices stacked top to bottom: C x D x H x W -> C x (D*H) x W.
void write_image_3d(const std::filesystem::path& file, const c10::IValue& value) {
  const std::string layout = "CDHW with 1 or 3 channels";
  const torch::Tensor t = tensor_of(value, layout);
  if (t.dim() != 4 || (t.size(0) != 1 && t.size(0) != 3))
    throw std::invalid_argument("expected a tensor laid out " + layout + ", got shape " + c10::str(t.sizes()));
  write_bytes(file, chw_to_png(t.reshape({t.size(0), t.size(1) * t.size(2), t.size(3)})));
}

// --- npy: tensors, and plain numbers as 0-d arrays --------------------------------------------

void write_npy(const std::filesystem::path& file, const c10::IValue& value) {
  torch::Tensor t;
  if (value.isInt()) t = torch::tensor(value.toInt(), torch::kLong);
  else if (value.isDouble()) t = torch::tensor(value.toDouble(), torch::kDouble);
  else if (value.isBool()) t = torch::tensor(value.toBool(), torch::kBool);
  else t = tensor_of(value, "of any shape (or a number)");
  write_bytes(file, encode_npy(t));
}
}  // namespace

void register_writer_functions(Registrar& r) {
  r.add_writer({"tensor", ".pt", "the value as torch.save writes it (load with torch.load / torch::pickle_load)", write_tensor});
  r.add_writer({"image_2d", ".png", "a CHW image with 1 or 3 channels, clamped to [0, 1], as an 8-bit PNG", write_image_2d});
  r.add_writer({"image_3d", ".png", "a CDHW volume with 1 or 3 channels, depth slices stacked vertically, as an 8-bit PNG",
                write_image_3d});
  r.add_writer({"text", ".txt", "a string as it is; a number or tensor as text (tensor rows one per line)", write_text});
  r.add_writer({"npy", ".npy", "a tensor or number as a NumPy .npy file (np.load)", write_npy});
}

}  // namespace lighter::callbacks
