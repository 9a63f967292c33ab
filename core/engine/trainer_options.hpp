#pragma once
// `pytorch_lightning.Trainer`'s flags, with Lightning's defaults, and its component entry.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dist/strategy.hpp"
#include "lighter/callback.hpp"
#include "lighter/logger.hpp"
#include "lighter/params.hpp"

namespace lighter::host {

// An int is a batch count, a float in [0, 1] a fraction of the loader's batches.
struct BatchLimit {
  std::optional<int64_t> count;
  double fraction = 1.0;
  int64_t of(int64_t available) const;
};

struct TrainerOptions {
  int64_t max_epochs = -1;  // -1: 1000 unless max_steps is set (Lightning)
  int64_t max_steps = -1;
  std::string accelerator = "auto";  // "auto", "cpu" or "cuda" ("gpu" is read as "cuda")
  // `devices`: a count (nullopt: "auto"; -1: all) or, when device_ids is not empty, those ids.
  std::optional<int64_t> devices_count;
  std::vector<int64_t> device_ids;
  dist::StrategyOptions strategy;  // "auto" runs DDP when there is more than one process
  int64_t num_nodes = 1;
  std::string precision = "32-true";  // canonical (engine/precision.hpp)
  std::optional<bool> benchmark;      // cuDNN autotuning; unset: off (Lightning's default)
  BatchLimit limit_train_batches, limit_val_batches, limit_test_batches, limit_predict_batches;
  int64_t fast_dev_run = 0;  // batches per loop; 0 = off
  int64_t num_sanity_val_steps = 2;
  int64_t check_val_every_n_epoch = 1;
  BatchLimit val_check_interval;  // validate every N training batches, or every fraction of an epoch
  int64_t accumulate_grad_batches = 1;
  std::optional<double> gradient_clip_val;
  std::string gradient_clip_algorithm = "norm";
  bool skip_nonfinite_grad = false;  // skip optimizer steps with NaN/Inf gradients; off: a non-finite loss stops the run
  int64_t log_every_n_steps = 50;
  std::string default_root_dir = ".";
  bool enable_progress_bar = true;
  bool enable_model_summary = true;  // Lightning's ModelSummary table at the start of fit
  bool simple_profiler = false;      // profiler = "simple"
  bool deterministic = false;
  std::optional<int64_t> num_threads;
  std::vector<std::shared_ptr<Callback>> callbacks;
  std::vector<std::shared_ptr<Logger>> loggers;
  bool default_logger = true;       // `logger = true`: a CSVLogger is added when none is given
  bool enable_checkpointing = true;  // a ModelCheckpoint is added when none is given

  int64_t effective_max_epochs() const;
  bool cuda() const;  // the accelerator is CUDA ("auto" where a CUDA device is available)
  // Processes per node: one per device (on the CPU, `devices` counts processes). Throws
  // ParamError for what no device layout can mean.
  int64_t devices_per_node() const;
};

// The registry entry of `pytorch_lightning.Trainer` (built into the host).
ComponentInfo trainer_component();

}  // namespace lighter::host
