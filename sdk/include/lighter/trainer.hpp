#pragma once
// What callbacks and models see of the running trainer (Lightning's `trainer` argument).
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

#include "lighter/object.hpp"

namespace lighter {

struct LogOptions {
  bool on_step = true;
  bool on_epoch = false;
  bool prog_bar = false;
  int64_t batch_size = 1;  // weight of this value in the epoch mean
};

class Trainer : public Object {
 public:
  static constexpr Kind static_kind = Kind::Trainer;
  Kind kind() const override { return Kind::Trainer; }

  // "fit", "validate", "test" or "predict".
  virtual const std::string& stage() const = 0;
  virtual bool training() const = 0;  // inside the training loop (not validation)
  virtual bool sanity_checking() const = 0;
  virtual int64_t current_epoch() const = 0;
  virtual int64_t global_step() const = 0;  // optimizer steps taken
  virtual int64_t max_epochs() const = 0;
  virtual int64_t global_rank() const { return 0; }
  virtual int64_t world_size() const { return 1; }
  bool is_global_zero() const { return global_rank() == 0; }
  // Waits until every rank reaches this point (Lightning's strategy.barrier); a no-op in one process.
  virtual void barrier() {}
  // The run directory (lighter_logs/version_N); empty when the run writes nothing.
  virtual std::filesystem::path log_dir() const = 0;
  // Values logged so far in this epoch / the last epoch ends (`val/loss/epoch`, ...).
  virtual const std::map<std::string, double>& callback_metrics() const = 0;
  virtual void log(const std::string& key, double value, const LogOptions& options) = 0;
  // Lightning's `trainer.should_stop = True`.
  virtual void request_stop() = 0;
  virtual bool should_stop() const = 0;
  virtual torch::optim::Optimizer* optimizer() = 0;
  // "Adam": the optimizer's name in logged keys (`train/optimizer/Adam/lr/epoch`).
  virtual std::string optimizer_name() const = 0;
  // Optimizer steps the whole fit will take (Lightning's estimated_stepping_batches).
  virtual int64_t estimated_stepping_batches() const = 0;
  // Writes a checkpoint in Lightning's layout, atomically (temp file + rename).
  virtual void save_checkpoint(const std::filesystem::path& file, bool weights_only = false) = 0;
  // True while fast_dev_run is on: callbacks that write files should write nothing.
  virtual bool fast_dev_run() const = 0;
  // log() of a one-element tensor, kept on its device until the value is printed or written, so
  // the step does not wait for a GPU (SDK 2.2). This default reads it at once.
  virtual void log_tensor(const std::string& key, const torch::Tensor& value, const LogOptions& options) {
    log(key, value.detach().item<double>(), options);
  }
};

}  // namespace lighter
