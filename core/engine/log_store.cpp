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

std::map<std::string, double> LogStore::finish_epoch(Loop loop, const SumOverRanks& sum_over_ranks) {
  LoggedValues sums;
  for (const auto& [key, sum] : epoch_sums_[loop]) sums[key] = LoggedValue{sum.sum, sum.tensor_sum};
  std::map<std::string, double> out = read_values(sums);
  std::map<std::string, double> weights;
  for (auto& [key, value] : out) {
    const Sum& sum = epoch_sums_[loop].at(key);
    if (sum.tensor_sum.defined()) value += sum.sum;  // a key logged both ways
    weights[key] = sum.weight;
  }
  if (sum_over_ranks) reduce_over_ranks(out, weights, sum_over_ranks);
  for (auto& [key, value] : out) {
    value /= weights.at(key);
    callback_metrics_[key] = value;
    pending_metrics_.erase(key);
  }
  epoch_sums_[loop].clear();
  return out;
}

void LogStore::reduce_over_ranks(std::map<std::string, double>& sums, std::map<std::string, double>& weights,
                                 const SumOverRanks& sum_over_ranks) {
  // Every rank must have logged the same keys, or the sums below would not line up: the key
  // count and a hash of the names are compared first (their sum equals world x the own value on
  // every rank exactly when all ranks agree).
  std::string names;
  for (const auto& [key, value] : sums) names += key + '\n';
  const double hash = static_cast<double>(std::hash<std::string>{}(names) % (uint64_t{1} << 40));
  torch::Tensor check = torch::tensor({1.0, static_cast<double>(sums.size()), hash}, torch::kDouble);
  torch::Tensor total = check.clone();
  sum_over_ranks(total);
  const double world = total[0].item<double>();
  if (!torch::equal(total, check * world))
    throw std::runtime_error(
        "the ranks logged different epoch values (keys on this rank: " + (names.empty() ? std::string("none") : names) +
        "); every rank must log the same keys with on_epoch = true, as Lightning's sync_dist requires");
  std::vector<double> packed;
  for (const auto& [key, value] : sums) packed.push_back(value), packed.push_back(weights.at(key));
  if (packed.empty()) return;
  torch::Tensor all = torch::tensor(packed, torch::kDouble);
  sum_over_ranks(all);
  size_t i = 0;
  for (auto& [key, value] : sums) {
    value = all[static_cast<int64_t>(i++)].item<double>();
    weights[key] = all[static_cast<int64_t>(i++)].item<double>();
  }
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
