// torch.optim.lr_scheduler.ReduceLROnPlateau (PyTorch 1.13): scales the lr by `factor` once the
// monitored value has not improved for more than `patience` steps.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "registrations.hpp"
#include "scheduler_base.hpp"

namespace lighter::torch_optim {

namespace {
using namespace lighter::param;

class ReduceLROnPlateau : public LrScheduler {
 public:
  explicit ReduceLROnPlateau(const Args& a)
      : LrScheduler(a), monitor_(a.get<std::string>("monitor")),
        mode_(a.get<std::string>("mode")), factor_(a.get<double>("factor")), patience_(a.get<int64_t>("patience")),
        threshold_(a.get<double>("threshold")), threshold_mode_(a.get<std::string>("threshold_mode")),
        cooldown_(a.get<int64_t>("cooldown")), min_lr_(float_or_list_of(a, "min_lr")), eps_(a.get<double>("eps")) {
    if (!(factor_ < 1.0)) a.fail("factor", "expected a number < 1.0");
  }

  std::string monitor() const override { return monitor_; }

 protected:
  void on_attach(int64_t) override {
    min_lrs_ = per_group(min_lr_, "min_lr");
    reset();
    last_epoch_ = 0;
  }

  void advance(std::optional<double> metric) override {
    if (!metric)
      throw std::runtime_error(target() + " is conditioned on the metric '" + monitor_ +
                               "', which is not available");
    const double current = *metric;
    last_epoch_ += 1;
    if (is_better(current, best_)) {
      best_ = current;
      num_bad_epochs_ = 0;
    } else {
      num_bad_epochs_ += 1;
    }
    if (cooldown_counter_ > 0) {
      cooldown_counter_ -= 1;
      num_bad_epochs_ = 0;  // bad epochs during cooldown do not count
    }
    if (num_bad_epochs_ > patience_) {
      reduce_lr();
      cooldown_counter_ = cooldown_;
      num_bad_epochs_ = 0;
    }
    last_lr_ = lrs();
  }

  void write_state(Dict& state) const override {
    state.set("factor", factor_);
    state.set("min_lrs", doubles(min_lrs_));
    state.set("patience", patience_);
    state.set("verbose", false);
    state.set("cooldown", cooldown_);
    state.set("cooldown_counter", cooldown_counter_);
    state.set("mode", mode_);
    state.set("threshold", threshold_);
    state.set("threshold_mode", threshold_mode_);
    state.set("best", best_);
    state.set("num_bad_epochs", num_bad_epochs_);
    state.set("mode_worse", mode_worse());
    state.set("eps", eps_);
    state.set("last_epoch", last_epoch_);
    if (!last_lr_.empty()) state.set("_last_lr", doubles(last_lr_));
  }

  void read_state(const Dict& state) override {
    const std::string& where = target();
    factor_ = state_double(state, "factor", where);
    min_lrs_ = state_doubles(state, "min_lrs", where);
    patience_ = state_int(state, "patience", where);
    cooldown_ = state_int(state, "cooldown", where);
    cooldown_counter_ = state_int(state, "cooldown_counter", where);
    mode_ = require(state, "mode", where).toStringRef();
    threshold_ = state_double(state, "threshold", where);
    threshold_mode_ = require(state, "threshold_mode", where).toStringRef();
    best_ = state_double(state, "best", where);
    num_bad_epochs_ = state_int(state, "num_bad_epochs", where);
    eps_ = state_double(state, "eps", where);
    last_epoch_ = state_int(state, "last_epoch", where);
    if (state.contains("_last_lr")) last_lr_ = state_doubles(state, "_last_lr", where);
    if ((mode_ != "min" && mode_ != "max") || (threshold_mode_ != "rel" && threshold_mode_ != "abs"))
      throw std::runtime_error(where + " state has mode '" + mode_ + "' / threshold_mode '" + threshold_mode_ +
                               "'; expected min|max and rel|abs");
  }

 private:
  double mode_worse() const {
    const double inf = std::numeric_limits<double>::infinity();
    return mode_ == "min" ? inf : -inf;
  }

  void reset() {
    best_ = mode_worse();
    cooldown_counter_ = 0;
    num_bad_epochs_ = 0;
  }

  bool is_better(double a, double best) const {
    if (mode_ == "min" && threshold_mode_ == "rel") return a < best * (1. - threshold_);
    if (mode_ == "min") return a < best - threshold_;
    if (threshold_mode_ == "rel") return a > best * (threshold_ + 1.);
    return a > best + threshold_;
  }

  void reduce_lr() {
    auto lrs_now = lrs();
    for (size_t i = 0; i < lrs_now.size(); ++i) {
      const double old_lr = lrs_now[i], new_lr = std::max(old_lr * factor_, min_lrs_[i]);
      if (old_lr - new_lr > eps_) lrs_now[i] = new_lr;
    }
    set_lrs(lrs_now);
  }

  std::string monitor_, mode_;
  double factor_;
  int64_t patience_;
  double threshold_;
  std::string threshold_mode_;
  int64_t cooldown_;
  std::vector<double> min_lr_, min_lrs_;
  double eps_;
  double best_ = 0;
  int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
  std::vector<double> last_lr_;
};
}  // namespace

void register_plateau(Registrar& r) {
  r.add<Scheduler>(
      "torch.optim.lr_scheduler.ReduceLROnPlateau", "reduces the lr when a monitored metric stops improving",
      with_interval({string("monitor", std::nullopt, "logged metric to watch, e.g. \"val/loss/epoch\""),
                     choice("mode", {"min", "max"}, "min", "whether lower or higher values are better"),
                     real("factor", 0.1, "new_lr = lr * factor"),
                     integer("patience", 10, "steps without improvement tolerated before reducing"),
                     real("threshold", 1e-4, "minimum change that counts as an improvement"),
                     choice("threshold_mode", {"rel", "abs"}, "rel", "threshold relative to the best value or absolute"),
                     integer("cooldown", 0, "steps to wait after a reduction before counting bad steps again"),
                     float_or_list("min_lr", 0.0, "lower bound on the lr (one, or one per param group)"),
                     real("eps", 1e-8, "reductions smaller than this are skipped")}),
      [](const Args& a) { return std::make_shared<ReduceLROnPlateau>(a); });
}

}  // namespace lighter::torch_optim
