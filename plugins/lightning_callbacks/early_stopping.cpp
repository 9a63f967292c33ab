// pytorch_lightning.callbacks.EarlyStopping: stops the fit when the monitored value has not
// improved by min_delta for `patience` checks, turns non-finite, or crosses a threshold.
#include <lighter/sdk.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include <lighter/python_float.hpp>
#include "epoch_end_schedule.hpp"
#include "registrations.hpp"

namespace lighter::lightning {

namespace {
struct StoppingOptions {
  std::string monitor, mode;
  double min_delta = 0.0;
  int64_t patience = 3;
  bool verbose = false, strict = true, check_finite = true;
  std::optional<double> stopping_threshold, divergence_threshold;
  std::optional<bool> check_on_train_epoch_end;
};

std::string fixed3(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  return buffer;
}

class EarlyStopping : public Callback {
 public:
  bool monitors_metrics() const override { return true; }
  explicit EarlyStopping(StoppingOptions options)
      : o_(std::move(options)),
        // Lightning folds the direction into min_delta: improving means current - min_delta beats best.
        min_delta_(o_.mode == "max" ? o_.min_delta : -o_.min_delta),
        best_score_(o_.mode == "max" ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity()),
        patience_(o_.patience),
        schedule_(o_.check_on_train_epoch_end) {}

  std::string state_key() const override { return "EarlyStopping{'monitor': '" + o_.monitor + "', 'mode': '" + o_.mode + "'}"; }
  Dict state_dict() const override {
    return {{"wait_count", wait_count_}, {"stopped_epoch", stopped_epoch_}, {"best_score", best_score_}, {"patience", patience_}};
  }
  void load_state_dict(const Dict& state) override {
    if (const auto* v = state.find("wait_count")) wait_count_ = v->toInt();
    if (const auto* v = state.find("stopped_epoch")) stopped_epoch_ = v->toInt();
    if (const auto* v = state.find("best_score")) best_score_ = v->isTensor() ? v->toTensor().item<double>() : v->toDouble();
    if (const auto* v = state.find("patience")) patience_ = v->toInt();
  }

  void setup(Trainer&, Model&, const std::string& stage) override { schedule_.start(stage); }
  void on_train_epoch_end(Trainer& trainer, Model&) override {
    if (schedule_.after_train_epoch(trainer)) check(trainer);
  }
  void on_validation_end(Trainer& trainer, Model&) override {
    if (schedule_.after_validation(trainer)) check(trainer);
  }

 private:
  bool improves(double a, double b) const { return o_.mode == "max" ? a > b : a < b; }
  const char* better_than() const { return o_.mode == "max" ? ">" : "<"; }
  const char* worse_than() const { return o_.mode == "max" ? "<" : ">"; }

  void check(Trainer& trainer) {
    if (trainer.fast_dev_run()) return;
    const auto& metrics = trainer.callback_metrics();
    const auto it = metrics.find(o_.monitor);
    if (it == metrics.end()) {
      std::string keys;
      for (const auto& [key, value] : metrics) keys += (keys.empty() ? "`" : ", `") + key + "`";
      const std::string message = "Early stopping conditioned on metric `" + o_.monitor +
                                  "` which is not available. Pass in or modify your `EarlyStopping` callback to use "
                                  "any of the following: " + (keys.empty() ? "(nothing is logged)" : keys);
      if (o_.strict) throw std::runtime_error(message);
      if (o_.verbose) log::warn(message);
      return;
    }
    const double current = it->second;
    std::string reason;
    const bool stop = evaluate(current, reason);
    if (stop) {
      trainer.request_stop();
      stopped_epoch_ = trainer.current_epoch();
      log::info("EarlyStopping: " + reason);
    } else if (o_.verbose && !reason.empty()) {
      log::info("EarlyStopping: " + reason);
    }
  }

  // Lightning's order of tests: non-finite, stopping threshold, divergence, improvement, patience.
  bool evaluate(double current, std::string& reason) {
    const std::string shown = o_.monitor + " = " + python_float(current);
    if (o_.check_finite && !std::isfinite(current)) {
      reason = "Monitored metric " + shown + " is not finite. Previous best value was " + fixed3(best_score_) +
               ". Signaling Trainer to stop.";
      return true;
    }
    if (o_.stopping_threshold && improves(current, *o_.stopping_threshold)) {
      reason = "Stopping threshold reached: " + shown + " " + better_than() + " " + python_float(*o_.stopping_threshold) +
               ". Signaling Trainer to stop.";
      return true;
    }
    if (o_.divergence_threshold && improves(-current, -*o_.divergence_threshold)) {
      reason = "Divergence threshold reached: " + shown + " " + worse_than() + " " + python_float(*o_.divergence_threshold) +
               ". Signaling Trainer to stop.";
      return true;
    }
    if (improves(current - min_delta_, best_score_)) {
      reason = std::isfinite(best_score_)
                   ? "Metric " + o_.monitor + " improved by " + fixed3(std::abs(best_score_ - current)) +
                         " >= min_delta = " + python_float(std::abs(min_delta_)) + ". New best score: " + fixed3(current)
                   : "Metric " + o_.monitor + " improved. New best score: " + fixed3(current);
      best_score_ = current;
      wait_count_ = 0;
      return false;
    }
    ++wait_count_;
    if (wait_count_ < patience_) return false;
    reason = "Monitored metric " + o_.monitor + " did not improve in the last " + std::to_string(wait_count_) +
             " records. Best score: " + fixed3(best_score_) + ". Signaling Trainer to stop.";
    return true;
  }

  StoppingOptions o_;
  double min_delta_, best_score_;
  int64_t patience_, wait_count_ = 0, stopped_epoch_ = 0;
  EpochEndSchedule schedule_;
};
}  // namespace

void register_early_stopping(Registrar& r) {
  using namespace lighter::param;
  r.add<Callback>(
      "pytorch_lightning.callbacks.EarlyStopping", "stops the fit when a monitored value stops improving",
      {required("monitor", Type::String, "logged key to watch, e.g. 'val/loss/epoch'"),
       real("min_delta", 0.0, "smallest change that counts as an improvement"),
       integer("patience", 3, "checks without improvement before stopping"),
       boolean("verbose", false, "log every check's outcome"),
       choice("mode", {"min", "max"}, "min", "whether a lower or a higher value is better"),
       boolean("strict", true, "fail when the monitored key was not logged"),
       boolean("check_finite", true, "stop when the monitored value is NaN or infinite"),
       allow_nonfinite(or_null(real("stopping_threshold", std::nullopt, "stop as soon as the value is better than this"))),
       allow_nonfinite(or_null(real("divergence_threshold", std::nullopt, "stop as soon as the value is worse than this"))),
       or_null(boolean("check_on_train_epoch_end", false,
                       "check at the end of the training epoch instead of after validation (default: after validation when the fit validates)"))},
      [](const Args& a) {
        StoppingOptions o;
        o.monitor = a.get<std::string>("monitor");
        o.mode = a.get<std::string>("mode");
        o.min_delta = a.get<double>("min_delta");
        o.patience = a.get<int64_t>("patience");
        if (o.patience < 0) a.fail("patience", "must be >= 0, got " + std::to_string(o.patience));
        o.verbose = a.get<bool>("verbose");
        o.strict = a.get<bool>("strict");
        o.check_finite = a.get<bool>("check_finite");
        o.stopping_threshold = a.get_optional<double>("stopping_threshold");
        o.divergence_threshold = a.get_optional<double>("divergence_threshold");
        o.check_on_train_epoch_end = a.get_optional<bool>("check_on_train_epoch_end");
        return std::make_shared<EarlyStopping>(std::move(o));
      });
}

}  // namespace lighter::lightning
