#pragma once
// The few names that differ between libtorch 1.13 (Debian's) and 2.x (upstream's LibTorch): the
// only place in lighter that looks at TORCH_VERSION_MAJOR.
#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/autocast_mode.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace lighter::compat {

// torch::nn's option variants (Conv's `padding`, a loss's `reduction`): c10::variant in 1.13,
// std::variant in 2.x.
template <class Alternative, class Variant>
auto* variant_get_if(Variant* variant) {
#if TORCH_VERSION_MAJOR >= 2
  return std::get_if<Alternative>(variant);
#else
  return c10::get_if<Alternative>(variant);
#endif
}

// The key of a parameter's entry in Optimizer::state(): its TensorImpl address, printed in
// 1.13 and as a void* in 2.x.
using OptimizerStateKey =
    typename std::remove_reference_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;

inline OptimizerStateKey optimizer_state_key(const torch::Tensor& param) {
#if TORCH_VERSION_MAJOR >= 2
  return param.unsafeGetTensorImpl();
#else
  std::ostringstream out;
  out << static_cast<const void*>(param.unsafeGetTensorImpl());
  return out.str();
#endif
}

// Autocast (mixed precision) for one device type: on or off, and its lower-precision dtype.
// 1.13 has one function per device type; 2.x takes the device type.
inline void set_autocast(c10::DeviceType device, bool enabled, c10::ScalarType dtype) {
#if TORCH_VERSION_MAJOR >= 2
  at::autocast::set_autocast_enabled(device, enabled);
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

inline bool autocast_enabled(c10::DeviceType device) {
#if TORCH_VERSION_MAJOR >= 2
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

inline c10::ScalarType autocast_dtype(c10::DeviceType device) {
#if TORCH_VERSION_MAJOR >= 2
  return at::autocast::get_autocast_dtype(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

// Fused Adam / AdamW: one kernel updates every parameter of a group (torch.optim's fused=True).
// 2.x has CPU and CUDA kernels for both; 1.13 only a CUDA Adam one, which Debian's CPU build cannot
// run, so lighter offers fused kernels only when built against 2.x.
inline constexpr bool kHasFusedAdam = TORCH_VERSION_MAJOR >= 2;

inline void fused_adam_(bool decoupled_weight_decay, at::TensorList params, at::TensorList grads,
                        at::TensorList exp_avgs, at::TensorList exp_avg_sqs, at::TensorList max_exp_avg_sqs,
                        at::TensorList steps, double lr, double beta1, double beta2, double weight_decay, double eps,
                        bool amsgrad) {
#if TORCH_VERSION_MAJOR >= 2
  if (decoupled_weight_decay)
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1, beta2, weight_decay,
                      eps, amsgrad, /*maximize=*/false);
  else
    at::_fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1, beta2, weight_decay,
                     eps, amsgrad, /*maximize=*/false);
#else
  (void)decoupled_weight_decay, (void)params, (void)grads, (void)exp_avgs, (void)exp_avg_sqs, (void)max_exp_avg_sqs,
      (void)steps, (void)lr, (void)beta1, (void)beta2, (void)weight_decay, (void)eps, (void)amsgrad;
  throw std::logic_error("fused Adam kernels need LibTorch 2.x (this lighter was built against " TORCH_VERSION ")");
#endif
}

}  // namespace lighter::compat
