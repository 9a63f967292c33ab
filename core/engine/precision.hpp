#pragma once
// `trainer::precision`, as Lightning names and runs it:
//   "32-true"    float32 everywhere (the default)
//   "16-mixed"   float32 weights, float16 autocast in the steps, dynamic loss scaling (CUDA only)
//   "bf16-mixed" float32 weights, bfloat16 autocast in the steps (CUDA and CPU)
//   "16-true", "bf16-true", "64-true": the weights and floating-point inputs in that dtype
// Lightning's short forms are accepted: 32, 16, 64, "32", "16", "bf16", "64".
#include <torch/torch.h>

#include <optional>
#include <string>

namespace lighter::host {

struct Precision {
  std::string name = "32-true";                 // the canonical form
  std::optional<c10::ScalarType> autocast;      // the mixed modes' lower-precision dtype
  std::optional<c10::ScalarType> weights;       // the true modes' dtype (none for 32-true)
  bool loss_scaling = false;                    // 16-mixed

  bool mixed() const { return autocast.has_value(); }
};

// The canonical name of `value` ("16" -> "16-mixed"), or nullopt when it is not a precision.
std::optional<std::string> canonical_precision(const std::string& value);
// `name` (canonical) on `device`; throws std::invalid_argument when the pair does not work, e.g.
// "16-mixed" on the CPU, as Lightning refuses it.
Precision make_precision(const std::string& name, const c10::Device& device);

// Autocast on for one device type while alive (torch.autocast as a context manager): nests, and
// restores what was there before.
class AutocastScope {
 public:
  AutocastScope(const Precision& precision, const c10::Device& device);
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;
  ~AutocastScope();

 private:
  bool active_ = false;
  c10::DeviceType device_type_ = c10::DeviceType::CPU;
  bool was_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::BFloat16;
};

}  // namespace lighter::host
