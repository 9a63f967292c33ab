#include "engine/grad_scaler.hpp"

#include <stdexcept>
#include <string>

namespace lighter::host {

GradScaler::GradScaler(Options options) : options_(options), scale_(options.init_scale) {}

torch::Tensor GradScaler::scale(const torch::Tensor& loss) {
  // A float32 scale, as PyTorch keeps it: powers of two stay exact.
  return loss * static_cast<float>(scale_);
}

bool GradScaler::unscale(const std::vector<torch::Tensor>& params) {
  if (unscaled_) return found_inf_;
  unscaled_ = true;
  // PyTorch: the reciprocal in double, used as float32.
  const float inv_scale = static_cast<float>(1.0 / scale_);
  std::vector<torch::Tensor> cuda_grads;
  torch::Tensor found;  // one flag tensor per device would do; one readback is what matters
  for (const auto& p : params) {
    torch::Tensor grad = p.grad();
    if (!grad.defined()) continue;
    if (grad.is_cuda()) {
      cuda_grads.push_back(grad);
      continue;
    }
    torch::Tensor bad = grad.isfinite().logical_not().any();
    found = found.defined() ? found.logical_or(bad) : bad;
    grad.mul_(inv_scale);
  }
  if (!cuda_grads.empty()) {
    // The fused kernel PyTorch's GradScaler uses: unscales every gradient and sets the flag.
    auto flag = torch::zeros({1}, cuda_grads.front().options().dtype(torch::kFloat));
    at::_amp_foreach_non_finite_check_and_unscale_(cuda_grads, flag,
                                                   torch::full({1}, inv_scale, flag.options()));
    torch::Tensor bad = flag.gt(0).any().cpu();
    found = found.defined() ? found.logical_or(bad) : bad;
  }
  found_inf_ = found.defined() && found.item<bool>();
  return found_inf_;
}

void GradScaler::update() {
  if (!unscaled_) return;  // no gradients this step: nothing was learned about the scale
  if (found_inf_) {
    scale_ *= options_.backoff_factor;
    growth_tracker_ = 0;
  } else if (++growth_tracker_ == options_.growth_interval) {
    scale_ *= options_.growth_factor;
    growth_tracker_ = 0;
  }
  scale_ = static_cast<double>(static_cast<float>(scale_));  // PyTorch's scale is a float32 tensor
  unscaled_ = false;
  found_inf_ = false;
}

Dict GradScaler::state_dict() const {
  return {{"scale", scale_},
          {"growth_factor", options_.growth_factor},
          {"backoff_factor", options_.backoff_factor},
          {"growth_interval", options_.growth_interval},
          {"_growth_tracker", growth_tracker_}};
}

void GradScaler::load_state_dict(const Dict& state) {
  auto number = [&](const char* key) {
    const c10::IValue* value = state.find(key);
    if (!value || !(value->isDouble() || value->isInt()))
      throw std::runtime_error(std::string("the loss scaler's state has no number '") + key + "'");
    return value->isDouble() ? value->toDouble() : static_cast<double>(value->toInt());
  };
  const double scale = number("scale");
  const double tracker = number("_growth_tracker");
  if (!(scale > 0) || !std::isfinite(scale)) throw std::runtime_error("the loss scaler's scale must be a finite number > 0");
  if (tracker < 0 || tracker != static_cast<double>(static_cast<int64_t>(tracker)))
    throw std::runtime_error("the loss scaler's _growth_tracker must be an integer >= 0");
  scale_ = scale;
  growth_tracker_ = static_cast<int64_t>(tracker);
  options_.growth_factor = number("growth_factor");
  options_.backoff_factor = number("backoff_factor");
  options_.growth_interval = static_cast<int64_t>(number("growth_interval"));
  unscaled_ = false;
  found_inf_ = false;
}

}  // namespace lighter::host
