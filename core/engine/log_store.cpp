#include "engine/log_store.hpp"

namespace lighter::host {

void LogStore::log(const std::string& key, double value, const LogOptions& options, Loop loop) {
  if (options.on_step) {
    step_values_[key] = value;
    callback_metrics_[key] = value;
  }
  if (options.on_epoch) {
    auto& [sum, weight] = epoch_sums_[loop][key];
    const double w = static_cast<double>(options.batch_size > 0 ? options.batch_size : 1);
    sum += value * w;
    weight += w;
  }
}

std::map<std::string, double> LogStore::take_step_values() {
  std::map<std::string, double> out;
  out.swap(step_values_);
  return out;
}

std::map<std::string, double> LogStore::finish_epoch(Loop loop) {
  std::map<std::string, double> out;
  for (const auto& [key, sum_weight] : epoch_sums_[loop]) {
    out[key] = sum_weight.first / sum_weight.second;
    callback_metrics_[key] = out[key];
  }
  epoch_sums_[loop].clear();
  return out;
}

}  // namespace lighter::host
