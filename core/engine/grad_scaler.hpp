#pragma once
// Dynamic loss scaling for `precision = "16-mixed"`, with torch.cuda.amp.GradScaler's rules:
// the loss is multiplied by `scale` before backward; before clipping and the optimizer step the
// gradients are divided by it again (unscale) and checked; a step whose gradients hold inf/NaN is
// skipped and the scale halves; after `growth_interval` clean steps in a row it doubles.
#include <torch/torch.h>

#include <vector>

#include "lighter/data.hpp"

namespace lighter::host {

class GradScaler {
 public:
  struct Options {
    double init_scale = 65536.0;
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    int64_t growth_interval = 2000;
  };
  // Where a checkpoint keeps the state: Lightning's precision plugin's class name.
  static constexpr const char* kCheckpointKey = "MixedPrecision";

  GradScaler() : GradScaler(Options{}) {}
  explicit GradScaler(Options options);

  torch::Tensor scale(const torch::Tensor& loss);
  // Divides the gradients of `params` by the scale, once per optimizer step; records whether any
  // is inf/NaN. Returns that (a host sync, as GradScaler.step's own).
  bool unscale(const std::vector<torch::Tensor>& params);
  bool unscaled() const { return unscaled_; }
  // After the step (taken or skipped): grows or backs off the scale, and re-arms unscale().
  void update();

  double scale_value() const { return scale_; }
  int64_t growth_tracker() const { return growth_tracker_; }
  // torch.cuda.amp.GradScaler.state_dict()'s keys: scale, growth_factor, backoff_factor,
  // growth_interval, _growth_tracker.
  Dict state_dict() const;
  void load_state_dict(const Dict& state);

 private:
  Options options_;
  double scale_;
  int64_t growth_tracker_ = 0;
  bool unscaled_ = false;
  bool found_inf_ = false;
};

}  // namespace lighter::host
