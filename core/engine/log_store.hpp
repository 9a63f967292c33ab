#pragma once
// What `log()` collects during a loop: step values as they come, epoch values as
// batch-size-weighted means, and the latest of each in callback_metrics.
//
// A value logged as a tensor on a GPU stays there (Lightning keeps logged tensors on the device
// too): sums are device ops, and a value is read back only when something prints or writes it,
// so the training step never waits for the GPU. CPU tensors are read at once (it costs nothing
// there and keeps the sums exactly as with plain numbers).
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lighter/trainer.hpp"

namespace lighter::host {

// A logged value: a number, or a 0-dim tensor not yet read back.
struct LoggedValue {
  double number = 0;
  torch::Tensor tensor;
};
using LoggedValues = std::map<std::string, LoggedValue>;

// The values as numbers, with a single read-back for all the tensors among them.
std::map<std::string, double> read_values(const LoggedValues& values);

class LogStore {
 public:
  // `loop` separates the training loop's epoch sums from validation's, which runs inside it.
  enum Loop { Train = 0, Eval = 1 };
  void log(const std::string& key, double value, const LogOptions& options, Loop loop);
  void log(const std::string& key, const torch::Tensor& value, const LogOptions& options, Loop loop);
  // Step values logged since the last call, then cleared (read_values() turns them into numbers).
  LoggedValues take_step_values();
  // Sums a float64 CPU tensor elementwise over the ranks of a multi-process run, in place.
  using SumOverRanks = std::function<void(torch::Tensor&)>;
  // Epoch means of everything logged with on_epoch since the last call, then cleared;
  // they also become callback_metrics. With `sum_over_ranks` the means are over every rank's
  // values (Lightning's sync_dist), the same on every rank.
  std::map<std::string, double> finish_epoch(Loop loop, const SumOverRanks& sum_over_ranks = nullptr);

  const std::map<std::string, double>& callback_metrics() const;
  // Restores what a checkpoint recorded (a resumed run monitors the same values).
  void set_callback_metrics(std::map<std::string, double> metrics);

 private:
  static void reduce_over_ranks(std::map<std::string, double>& sums, std::map<std::string, double>& weights,
                                const SumOverRanks& sum_over_ranks);

  struct Sum {
    double sum = 0;
    torch::Tensor tensor_sum;  // device tensors' part, float64
    double weight = 0;
  };
  LoggedValues step_values_;
  std::map<std::string, Sum> epoch_sums_[2];
  mutable std::map<std::string, double> callback_metrics_;
  mutable std::map<std::string, torch::Tensor> pending_metrics_;  // device values not yet read back
};

}  // namespace lighter::host
