#include "engine/precision.hpp"

#include <stdexcept>

#include "lighter/torch_compat.hpp"

namespace lighter::host {

std::optional<std::string> canonical_precision(const std::string& value) {
  for (const char* name : {"32-true", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "64-true"})
    if (value == name) return value;
  if (value == "32") return "32-true";
  if (value == "16") return "16-mixed";
  if (value == "bf16") return "bf16-mixed";
  if (value == "64") return "64-true";
  return std::nullopt;
}

Precision make_precision(const std::string& name, const c10::Device& device) {
  Precision p;
  p.name = name;
  if (name == "16-mixed") {
    if (!device.is_cuda())
      throw std::invalid_argument("\"16-mixed\" needs a CUDA device: AMP with float16 is not supported on the " +
                                  device.str() + " (as in Lightning); use \"bf16-mixed\" there");
    p.autocast = torch::kHalf;
    p.loss_scaling = true;
  } else if (name == "bf16-mixed") {
    p.autocast = torch::kBFloat16;
  } else if (name == "16-true") {
    p.weights = torch::kHalf;
  } else if (name == "bf16-true") {
    p.weights = torch::kBFloat16;
  } else if (name == "64-true") {
    p.weights = torch::kDouble;
  } else if (name != "32-true") {
    throw std::invalid_argument("unknown precision '" + name + "'");
  }
  return p;
}

AutocastScope::AutocastScope(const Precision& precision, const c10::Device& device) {
  if (!precision.autocast) return;
  active_ = true;
  device_type_ = device.type();
  was_enabled_ = compat::autocast_enabled(device_type_);
  previous_dtype_ = compat::autocast_dtype(device_type_);
  compat::set_autocast(device_type_, true, *precision.autocast);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // torch.autocast.__exit__: the cast cache lives as long as the outermost region.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  compat::set_autocast(device_type_, was_enabled_, previous_dtype_);
}

}  // namespace lighter::host
