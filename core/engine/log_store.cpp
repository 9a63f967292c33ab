#include "engine/log_store.hpp"

namespace lighter::host {

std::map<std::string, double> read_values(const LoggedValues& values) {
  std::map<std::string, double> out;
  std::vector<std::string> keys;
  std::vector<torch::Tensor> tensors;
  for (const auto& [key, value] : values) {
    if (!value.tensor.defined()) {
      out[key] = value.number;
      continue;
    }
    keys.push_back(key);
    tensors.push_back(value.tensor.reshape({}).to(torch::kDouble));
  }
  if (tensors.empty()) return out;
  const torch::Tensor host = torch::stack(tensors).cpu();
  const double* data = host.data_ptr<double>();
  for (size_t i = 0; i < keys.size(); ++i) out[keys[i]] = data[i];
  return out;
}

void LogStore::log(const std::string& key, double value, const LogOptions& options, Loop loop) {
  if (options.on_step) {
    step_values_[key] = LoggedValue{value, {}};
    callback_metrics_[key] = value;
    pending_metrics_.erase(key);
  }
  if (options.on_epoch) {
    Sum& sum = epoch_sums_[loop][key];
    const double w = static_cast<double>(options.batch_size > 0 ? options.batch_size : 1);
    sum.sum += value * w;
    sum.weight += w;
  }
}

void LogStore::log(const std::string& key, const torch::Tensor& value, const LogOptions& options, Loop loop) {
  if (value.numel() != 1)
    throw std::invalid_argument("log('" + key + "'): expected a single value, got a tensor of shape " + c10::str(value.sizes()));
  const torch::Tensor detached = value.detach();
  if (detached.is_cpu()) return log(key, detached.item<double>(), options, loop);
  if (options.on_step) {
    step_values_[key] = LoggedValue{0, detached};
    pending_metrics_[key] = detached;
  }
  if (options.on_epoch) {
    Sum& sum = epoch_sums_[loop][key];
    const double w = static_cast<double>(options.batch_size > 0 ? options.batch_size : 1);
    const torch::Tensor weighted = detached.reshape({}).to(torch::kDouble) * w;
    sum.tensor_sum = sum.tensor_sum.defined() ? sum.tensor_sum.add_(weighted) : weighted;
    sum.weight += w;
  }
}

LoggedValues LogStore::take_step_values() {
  LoggedValues out;
  out.swap(step_values_);
  return out;
}

std::map<std::string, double> LogStore::finish_epoch(Loop loop) {
  LoggedValues sums;
  for (const auto& [key, sum] : epoch_sums_[loop]) sums[key] = LoggedValue{sum.sum, sum.tensor_sum};
  std::map<std::string, double> out = read_values(sums);
  for (auto& [key, value] : out) {
    const Sum& sum = epoch_sums_[loop].at(key);
    if (sum.tensor_sum.defined()) value += sum.sum;  // a key logged both ways
    value /= sum.weight;
    callback_metrics_[key] = value;
    pending_metrics_.erase(key);
  }
  epoch_sums_[loop].clear();
  return out;
}

const std::map<std::string, double>& LogStore::callback_metrics() const {
  if (!pending_metrics_.empty()) {
    LoggedValues pending;
    for (const auto& [key, tensor] : pending_metrics_) pending[key] = LoggedValue{0, tensor};
    for (const auto& [key, value] : read_values(pending)) callback_metrics_[key] = value;
    pending_metrics_.clear();
  }
  return callback_metrics_;
}

void LogStore::set_callback_metrics(std::map<std::string, double> metrics) {
  callback_metrics_ = std::move(metrics);
  pending_metrics_.clear();
}

}  // namespace lighter::host
