#include "lighter/meters.hpp"

#include "lighter/dist.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace lighter::danling {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string shape_of(at::IntArrayRef sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + std::to_string(sizes[i]);
  return out + "]";
}

std::string format_number(double x, int precision) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", precision, x);
  return buffer;
}

std::string format_tensor(const torch::Tensor& t, int precision) {
  if (t.dim() == 0) return format_number(t.item<double>(), precision);
  std::string out = "[";
  for (int64_t i = 0; i < t.size(0); ++i) out += (i ? ", " : "") + format_tensor(t[i], precision);
  return out + "]";
}

// Reduces (numerator..., denominator) over processes and divides; NaN where the total weight is 0.
torch::Tensor reduce_ratio(const Reducer& reducer, const torch::Tensor& numerator, double denominator) {
  const torch::Tensor packed =
      torch::cat({numerator.reshape({-1}), torch::full({1}, denominator, numerator.options())});
  const torch::Tensor reduced = reducer(packed).to(torch::kFloat64);
  const int64_t size = numerator.numel();
  const double total = reduced[size].item<double>();
  if (total == 0) return torch::full_like(numerator, kNaN);
  return (reduced.slice(0, 0, size) / total).reshape(numerator.sizes());
}

void check_weight(int64_t n) {
  if (n < 0) throw std::invalid_argument("AverageMeter.update: n must be >= 0, got " + std::to_string(n));
}

template <class Meter>
const Meter* find_in(const std::deque<std::pair<std::string, Meter>>& meters, const std::string& name) {
  for (const auto& [key, meter] : meters)
    if (key == name) return &meter;
  return nullptr;
}

template <class Meter>
std::out_of_range missing(const std::deque<std::pair<std::string, Meter>>& meters, const std::string& what,
                          const std::string& name) {
  std::string known;
  for (const auto& entry : meters) known += (known.empty() ? "" : ", ") + entry.first;
  return std::out_of_range(what + ": no meter named '" + name + "' (meters: " + (known.empty() ? "none" : known) +
                           ")");
}

template <class Meter>
std::vector<std::string> names_of(const std::deque<std::pair<std::string, Meter>>& meters) {
  std::vector<std::string> out;
  for (const auto& entry : meters) out.push_back(entry.first);
  return out;
}

template <class Meter, class Get>
auto collect(const std::deque<std::pair<std::string, Meter>>& meters, Get get) {
  std::map<std::string, decltype(get(meters.front().second))> out;
  for (const auto& [name, meter] : meters) out.emplace(name, get(meter));
  return out;
}

template <class Meter>
std::string format_all(const std::deque<std::pair<std::string, Meter>>& meters, int precision) {
  std::string out;
  for (const auto& [name, meter] : meters) out += (out.empty() ? "" : "\t") + name + ": " + meter.format(precision);
  return out;
}

}  // namespace

// ---- AverageMeter ----

void AverageMeter::update(double value, int64_t n) {
  check_weight(n);
  if (has_value_ && is_tensor_)
    throw std::invalid_argument("AverageMeter.update: expected a tensor of shape " + shape_of(tv_.sizes()) +
                                " (this meter holds tensors), got a scalar");
  has_value_ = true;
  v_ = value;
  n_ = n;
  if (n == 0) return;
  sum_ += value * static_cast<double>(n);
  count_ += n;
}

void AverageMeter::update(const torch::Tensor& value, int64_t n) {
  check_weight(n);
  if (!value.defined()) throw std::invalid_argument("AverageMeter.update: got an undefined tensor");
  if (has_value_ && !is_tensor_)
    throw std::invalid_argument("AverageMeter.update: expected a scalar (this meter holds scalars), got a tensor of shape " +
                                shape_of(value.sizes()));
  if (has_value_ && value.sizes() != tv_.sizes())
    throw std::invalid_argument("AverageMeter.update: expected a tensor of shape " + shape_of(tv_.sizes()) +
                                ", got shape " + shape_of(value.sizes()));
  const torch::Device device = has_value_ ? tv_.device() : value.device();
  torch::Tensor v = value.detach().to(device, torch::kFloat64, /*non_blocking=*/false, /*copy=*/true);
  if (!has_value_) tsum_ = torch::zeros_like(v);
  has_value_ = is_tensor_ = true;
  tv_ = std::move(v);
  n_ = n;
  if (n == 0) return;
  tsum_ = tsum_ + tv_ * static_cast<double>(n);  // out of place: copies of this meter share no state
  count_ += n;
}

void AverageMeter::reset() {
  has_value_ = is_tensor_ = false;
  n_ = count_ = 0;
  v_ = sum_ = 0.0;
  tv_ = tsum_ = torch::Tensor();
}

void AverageMeter::require_scalar(const char* what) const {
  if (is_tensor_)
    throw std::logic_error(std::string("AverageMeter.") + what + ": this meter holds tensors of shape " +
                           shape_of(tv_.sizes()) + "; read it with tensor_" + what + "()");
}

namespace {
// The meter's own reducer, else torch.distributed's all-reduce when the run has several ranks.
Reducer active(const Reducer& own) {
  if (own || dist::world_size() == 1) return own;
  return [](const torch::Tensor& value) {
    torch::Tensor sum = value.clone();
    dist::all_reduce(sum, dist::ReduceOp::Sum);
    return sum;
  };
}
}  // namespace

double AverageMeter::val() const {
  require_scalar("val");
  return has_value_ ? v_ : kNaN;
}

double AverageMeter::bat() const {
  require_scalar("bat");
  const Reducer reducer = active(reducer_);
  if (!reducer) return val();
  const double weighted = n_ == 0 ? 0.0 : v_ * static_cast<double>(n_);
  return reduce_ratio(reducer, torch::scalar_tensor(weighted, torch::kFloat64), static_cast<double>(n_)).item<double>();
}

double AverageMeter::avg() const {
  require_scalar("avg");
  const Reducer reducer = active(reducer_);
  if (!reducer) return count_ == 0 ? kNaN : sum_ / static_cast<double>(count_);
  return reduce_ratio(reducer, torch::scalar_tensor(sum_, torch::kFloat64), static_cast<double>(count_))
      .item<double>();
}

double AverageMeter::sum() const {
  require_scalar("sum");
  return sum_;
}

torch::Tensor AverageMeter::tensor_val() const {
  if (!is_tensor_) return torch::scalar_tensor(val(), torch::kFloat64);
  return tv_.clone();
}

torch::Tensor AverageMeter::tensor_bat() const {
  if (!is_tensor_) return torch::scalar_tensor(bat(), torch::kFloat64);
  const Reducer reducer = active(reducer_);
  if (!reducer) return tv_.clone();
  const torch::Tensor weighted = n_ == 0 ? torch::zeros_like(tv_) : tv_ * static_cast<double>(n_);
  return reduce_ratio(reducer, weighted, static_cast<double>(n_));
}

torch::Tensor AverageMeter::tensor_avg() const {
  if (!is_tensor_) return torch::scalar_tensor(avg(), torch::kFloat64);
  const Reducer reducer = active(reducer_);
  if (reducer) return reduce_ratio(reducer, tsum_, static_cast<double>(count_));
  return count_ == 0 ? torch::full_like(tsum_, kNaN) : tsum_ / static_cast<double>(count_);
}

torch::Tensor AverageMeter::tensor_sum() const {
  if (!is_tensor_) return torch::scalar_tensor(sum_, torch::kFloat64);
  return tsum_.clone();
}

std::string AverageMeter::format(int precision) const {
  if (!is_tensor_) return format_number(val(), precision) + " (" + format_number(avg(), precision) + ")";
  return format_tensor(tensor_val().cpu(), precision) + " (" + format_tensor(tensor_avg().cpu(), precision) + ")";
}

// ---- AverageMeters ----

AverageMeter& AverageMeters::operator[](const std::string& name) {
  if (const AverageMeter* meter = find_in(meters_, name)) return const_cast<AverageMeter&>(*meter);
  return meters_.emplace_back(name, AverageMeter()).second;
}

const AverageMeter& AverageMeters::at(const std::string& name) const {
  if (const AverageMeter* meter = find_in(meters_, name)) return *meter;
  throw missing(meters_, "AverageMeters", name);
}

bool AverageMeters::contains(const std::string& name) const { return find_in(meters_, name) != nullptr; }

std::vector<std::string> AverageMeters::names() const { return names_of(meters_); }

void AverageMeters::update(const std::vector<std::pair<std::string, double>>& values, int64_t n) {
  for (const auto& [name, value] : values) (*this)[name].update(value, n);
}

void AverageMeters::reset() {
  for (auto& entry : meters_) entry.second.reset();
}

ScalarValues AverageMeters::val() const { return collect(meters_, [](const AverageMeter& m) { return m.val(); }); }
ScalarValues AverageMeters::bat() const { return collect(meters_, [](const AverageMeter& m) { return m.bat(); }); }
ScalarValues AverageMeters::avg() const { return collect(meters_, [](const AverageMeter& m) { return m.avg(); }); }
ScalarValues AverageMeters::sum() const { return collect(meters_, [](const AverageMeter& m) { return m.sum(); }); }
std::map<std::string, int64_t> AverageMeters::count() const {
  return collect(meters_, [](const AverageMeter& m) { return m.count(); });
}

TensorValues AverageMeters::tensor_val() const {
  TensorValues out;
  for (const auto& [name, meter] : meters_) out.emplace_back(name, meter.tensor_val());
  return out;
}

TensorValues AverageMeters::tensor_avg() const {
  TensorValues out;
  for (const auto& [name, meter] : meters_) out.emplace_back(name, meter.tensor_avg());
  return out;
}

std::string AverageMeters::format(int precision) const { return format_all(meters_, precision); }

// ---- MetricMeter ----

MetricMeter::MetricMeter(MetricFunction metric, Preprocess preprocess)
    : metric_(std::move(metric)), preprocess_(std::move(preprocess)) {
  if (!metric_) throw std::invalid_argument("MetricMeter: the metric function is empty");
}

void MetricMeter::update(const torch::Tensor& input, const torch::Tensor& target, std::optional<int64_t> n) {
  torch::NoGradGuard no_grad;
  if (!preprocess_) return update_preprocessed(input, target, n);
  const auto [in, tgt] = preprocess_(input, target);
  update_preprocessed(in, tgt, n);
}

void MetricMeter::update_preprocessed(const torch::Tensor& input, const torch::Tensor& target,
                                      std::optional<int64_t> n) {
  if (n && *n <= 0) throw std::invalid_argument("MetricMeter.update: n must be > 0, got " + std::to_string(*n));
  const int64_t weight = n ? *n : (input.dim() > 0 ? input.size(0) : 1);
  AverageMeter::update(metric_(input, target), weight);
}

// ---- StreamMetrics ----

StreamMetrics::StreamMetrics(std::vector<std::pair<std::string, MetricFunction>> metrics, Preprocess preprocess)
    : preprocess_(std::move(preprocess)) {
  for (auto& [name, metric] : metrics) add(name, std::move(metric));
}

void StreamMetrics::add(const std::string& name, MetricFunction metric) {
  MetricMeter meter(std::move(metric));
  for (auto& entry : meters_)
    if (entry.first == name) {
      entry.second = std::move(meter);
      return;
    }
  meters_.emplace_back(name, std::move(meter));
}

void StreamMetrics::update(const torch::Tensor& input, const torch::Tensor& target, std::optional<int64_t> n) {
  torch::NoGradGuard no_grad;
  std::pair<torch::Tensor, torch::Tensor> batch{input, target};
  if (preprocess_) batch = preprocess_(input, target);
  for (auto& entry : meters_) entry.second.update_preprocessed(batch.first, batch.second, n);
}

void StreamMetrics::reset() {
  for (auto& entry : meters_) entry.second.reset();
}

MetricMeter& StreamMetrics::operator[](const std::string& name) {
  return const_cast<MetricMeter&>(static_cast<const StreamMetrics&>(*this)[name]);
}

const MetricMeter& StreamMetrics::operator[](const std::string& name) const {
  if (const MetricMeter* meter = find_in(meters_, name)) return *meter;
  throw missing(meters_, "StreamMetrics", name);
}

bool StreamMetrics::contains(const std::string& name) const { return find_in(meters_, name) != nullptr; }

std::vector<std::string> StreamMetrics::names() const { return names_of(meters_); }

ScalarValues StreamMetrics::val() const { return collect(meters_, [](const MetricMeter& m) { return m.val(); }); }
ScalarValues StreamMetrics::bat() const { return collect(meters_, [](const MetricMeter& m) { return m.bat(); }); }
ScalarValues StreamMetrics::avg() const { return collect(meters_, [](const MetricMeter& m) { return m.avg(); }); }
ScalarValues StreamMetrics::sum() const { return collect(meters_, [](const MetricMeter& m) { return m.sum(); }); }
std::map<std::string, int64_t> StreamMetrics::count() const {
  return collect(meters_, [](const MetricMeter& m) { return m.count(); });
}

std::string StreamMetrics::format(int precision) const { return format_all(meters_, precision); }

}  // namespace lighter::danling
