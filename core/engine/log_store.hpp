#pragma once
// What `log()` collects during a loop: step values as they come, epoch values as
// batch-size-weighted means, and the latest of each in callback_metrics.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lighter/trainer.hpp"

namespace lighter::host {

class LogStore {
 public:
  // `loop` separates the training loop's epoch sums from validation's, which runs inside it.
  enum Loop { Train = 0, Eval = 1 };
  void log(const std::string& key, double value, const LogOptions& options, Loop loop);
  // Step values logged since the last call, then cleared.
  std::map<std::string, double> take_step_values();
  // Epoch means of everything logged with on_epoch since the last call, then cleared;
  // they also become callback_metrics.
  std::map<std::string, double> finish_epoch(Loop loop);

  const std::map<std::string, double>& callback_metrics() const { return callback_metrics_; }
  // Restores what a checkpoint recorded (a resumed run monitors the same values).
  void set_callback_metrics(std::map<std::string, double> metrics) { callback_metrics_ = std::move(metrics); }

 private:
  std::map<std::string, double> step_values_;
  std::map<std::string, std::pair<double, double>> epoch_sums_[2];  // key -> (weighted sum, weight)
  std::map<std::string, double> callback_metrics_;
};

}  // namespace lighter::host
