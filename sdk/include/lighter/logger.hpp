#pragma once
// Experiment loggers (pytorch_lightning.loggers.*): the trainer hands them the run directory
// once, then rows of metric values.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "lighter/object.hpp"

namespace lighter {

class Logger : public Object {
 public:
  static constexpr Kind static_kind = Kind::Logger;
  Kind kind() const override { return Kind::Logger; }

  // lighter_logs/version_N of this run; called before anything is logged.
  virtual void set_run_dir(const std::filesystem::path& run_dir) = 0;
  // The run's merged config as TOML.
  virtual void log_hyperparams(const std::string& /*config_toml*/) {}
  // One row of values at `step` (the trainer's global step), with the epoch when known.
  virtual void log_metrics(const std::map<std::string, double>& metrics, int64_t step, std::optional<int64_t> epoch) = 0;
  // Makes everything logged so far durable (called at epoch ends and before checkpoints).
  virtual void flush() {}
  // "success", "failed" or "interrupted".
  virtual void finalize(const std::string& /*status*/) { flush(); }
};

}  // namespace lighter
