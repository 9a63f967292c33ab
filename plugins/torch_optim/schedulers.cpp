// torch.optim.lr_scheduler.{StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR}:
// PyTorch 1.13's chainable get_lr() forms, which multiply the groups' current lr step by step
// (their rounding differs from the closed forms, and the checkpointed values must match Python's).
// The closed forms serve SequentialLR's step(0) at a milestone, as in Python.
#include <algorithm>
#include <cmath>
#include <map>

#include "registrations.hpp"
#include "scheduler_base.hpp"

namespace lighter::torch_optim {

namespace {
using namespace lighter::param;

class StepLR : public PythonScheduler {
 public:
  StepLR(const Args& a)
      : PythonScheduler(a), step_size_(a.get<int64_t>("step_size")),
        gamma_(a.get<double>("gamma")) {}

 protected:
  std::vector<double> get_lr() override {
    auto out = lrs();
    if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return out;
    for (double& lr : out) lr *= gamma_;
    return out;
  }
  std::optional<std::vector<double>> closed_form_lr() const override {
    return scaled_base_lrs(std::pow(gamma_, static_cast<double>(last_epoch_ / step_size_)));
  }
  void write_settings(Dict& state) const override {
    state.set("step_size", step_size_);
    state.set("gamma", gamma_);
  }
  void read_settings(const Dict& state) override {
    step_size_ = state_int(state, "step_size", target());
    gamma_ = state_double(state, "gamma", target());
  }

 private:
  int64_t step_size_;
  double gamma_;
};

class MultiStepLR : public PythonScheduler {
 public:
  MultiStepLR(const Args& a) : PythonScheduler(a), gamma_(a.get<double>("gamma")) {
    for (int64_t m : a.get<std::vector<int64_t>>("milestones")) ++milestones_[m];  // Python's Counter
  }

 protected:
  std::vector<double> get_lr() override {
    auto out = lrs();
    auto it = milestones_.find(last_epoch_);
    if (it == milestones_.end()) return out;
    for (double& lr : out) lr *= std::pow(gamma_, static_cast<double>(it->second));
    return out;
  }
  std::optional<std::vector<double>> closed_form_lr() const override {
    int64_t passed = 0;  // bisect_right over the sorted milestones, repeated ones counted
    for (const auto& [m, count] : milestones_)
      if (m <= last_epoch_) passed += count;
    return scaled_base_lrs(std::pow(gamma_, static_cast<double>(passed)));
  }
  // Python saves a collections.Counter; a plain {milestone: count} dict behaves the same there.
  void write_settings(Dict& state) const override {
    GenericDict milestones(c10::IntType::get(), c10::IntType::get());
    for (const auto& [m, count] : milestones_) milestones.insert(m, count);
    state.set("milestones", milestones);
    state.set("gamma", gamma_);
  }
  void read_settings(const Dict& state) override {
    milestones_.clear();
    const std::string where = target() + " state['milestones']";
    for (const auto& e : require(state, "milestones", target() + " state").toGenericDict())
      milestones_[to_int(e.key(), where)] = to_int(e.value(), where);
    gamma_ = state_double(state, "gamma", target());
  }

 private:
  std::map<int64_t, int64_t> milestones_;
  double gamma_;
};

class ExponentialLR : public PythonScheduler {
 public:
  ExponentialLR(const Args& a) : PythonScheduler(a), gamma_(a.get<double>("gamma")) {}

 protected:
  std::vector<double> get_lr() override {
    auto out = lrs();
    if (last_epoch_ == 0) return out;
    for (double& lr : out) lr *= gamma_;
    return out;
  }
  std::optional<std::vector<double>> closed_form_lr() const override {
    return scaled_base_lrs(std::pow(gamma_, static_cast<double>(last_epoch_)));
  }
  void write_settings(Dict& state) const override { state.set("gamma", gamma_); }
  void read_settings(const Dict& state) override { gamma_ = state_double(state, "gamma", target()); }

 private:
  double gamma_;
};

class CosineAnnealingLR : public PythonScheduler {
 public:
  CosineAnnealingLR(const Args& a)
      : PythonScheduler(a), t_max_(a.get<int64_t>("T_max")),
        eta_min_(a.get<double>("eta_min")) {}

 protected:
  std::vector<double> get_lr() override {
    auto out = lrs();
    const double pi = M_PI, t_max = static_cast<double>(t_max_), epoch = static_cast<double>(last_epoch_);
    if (last_epoch_ == 0) return out;
    for (size_t i = 0; i < out.size(); ++i) {
      const double lr = out[i], base = base_lrs_[i];
      if ((last_epoch_ - 1 - t_max_) % (2 * t_max_) == 0)  // restarting from eta_min after a full period
        out[i] = lr + (base - eta_min_) * (1 - std::cos(pi / t_max)) / 2;
      else
        out[i] = (1 + std::cos(pi * epoch / t_max)) / (1 + std::cos(pi * (epoch - 1) / t_max)) * (lr - eta_min_) +
                 eta_min_;
    }
    return out;
  }
  std::optional<std::vector<double>> closed_form_lr() const override {
    std::vector<double> out;
    const double cos_out = 1 + std::cos(M_PI * static_cast<double>(last_epoch_) / static_cast<double>(t_max_));
    for (double base : base_lrs_) out.push_back(eta_min_ + (base - eta_min_) * cos_out / 2);
    return out;
  }
  void write_settings(Dict& state) const override {
    state.set("T_max", t_max_);
    state.set("eta_min", eta_min_);
  }
  void read_settings(const Dict& state) override {
    t_max_ = state_int(state, "T_max", target());
    eta_min_ = state_double(state, "eta_min", target());
  }

 private:
  int64_t t_max_;
  double eta_min_;
};
class LinearLR : public PythonScheduler {
 public:
  LinearLR(const Args& a)
      : PythonScheduler(a), start_factor_(a.get<double>("start_factor")), end_factor_(a.get<double>("end_factor")),
        total_iters_(a.get<int64_t>("total_iters")) {}

 protected:
  std::vector<double> get_lr() override {
    auto out = lrs();
    if (last_epoch_ > total_iters_) return out;
    const double change = end_factor_ - start_factor_;
    const double factor =
        last_epoch_ == 0
            ? start_factor_
            : 1. + change / (static_cast<double>(total_iters_) * start_factor_ +
                             static_cast<double>(last_epoch_ - 1) * change);
    for (double& lr : out) lr *= factor;
    return out;
  }
  std::optional<std::vector<double>> closed_form_lr() const override {
    const double done = static_cast<double>(std::min(total_iters_, last_epoch_));
    return scaled_base_lrs(start_factor_ + (end_factor_ - start_factor_) * done / static_cast<double>(total_iters_));
  }
  void write_settings(Dict& state) const override {
    state.set("start_factor", start_factor_);
    state.set("end_factor", end_factor_);
    state.set("total_iters", total_iters_);
  }
  void read_settings(const Dict& state) override {
    start_factor_ = state_double(state, "start_factor", target());
    end_factor_ = state_double(state, "end_factor", target());
    total_iters_ = state_int(state, "total_iters", target());
  }

 private:
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

// PyTorch 2.x's bounds (1.13 let start_factor be 0, which divides by zero at the second step).
Param factor(std::string name, double default_value, bool zero_allowed, std::string doc) {
  Param p = real(std::move(name), default_value, std::move(doc));
  p.check = [zero_allowed](const Value& v) {
    const double x = v.as_number();
    if ((zero_allowed ? x >= 0 : x > 0) && x <= 1) return "";
    return zero_allowed ? "a number in [0, 1]" : "a number in (0, 1]";
  };
  return p;
}
}  // namespace

void register_schedulers(Registrar& r) {
  r.add<Scheduler>("torch.optim.lr_scheduler.StepLR", "decays the learning rate by gamma every step_size epochs",
                   python_params({positive_int("step_size", std::nullopt, "period of the decay"),
                                  real("gamma", 0.1, "multiplicative factor of the decay")}),
                   [](const Args& a) { return std::make_shared<StepLR>(a); });
  r.add<Scheduler>("torch.optim.lr_scheduler.MultiStepLR", "decays the learning rate by gamma at each milestone",
                   python_params({list("milestones", Type::Int, std::nullopt, "epoch indices of the decays"),
                                  real("gamma", 0.1, "multiplicative factor of the decay")}),
                   [](const Args& a) { return std::make_shared<MultiStepLR>(a); });
  r.add<Scheduler>("torch.optim.lr_scheduler.ExponentialLR", "decays the learning rate by gamma every epoch",
                   python_params({real("gamma", std::nullopt, "multiplicative factor of the decay")}),
                   [](const Args& a) { return std::make_shared<ExponentialLR>(a); });
  r.add<Scheduler>("torch.optim.lr_scheduler.CosineAnnealingLR", "cosine annealing from the initial lr to eta_min",
                   python_params({positive_int("T_max", std::nullopt, "half period, in intervals"),
                                  real("eta_min", 0.0, "minimum learning rate")}),
                   [](const Args& a) { return std::make_shared<CosineAnnealingLR>(a); });
  r.add<Scheduler>("torch.optim.lr_scheduler.LinearLR",
                   "scales the learning rate by a factor going linearly from start_factor to end_factor",
                   python_params({factor("start_factor", 1.0 / 3, false, "factor of the first epoch"),
                                  factor("end_factor", 1.0, true, "factor from total_iters on"),
                                  positive_int("total_iters", 5, "epochs until the factor reaches end_factor")}),
                   [](const Args& a) { return std::make_shared<LinearLR>(a); });
  register_warm_restarts(r);
  register_sequential(r);
  register_one_cycle(r);
  register_plateau(r);
}

}  // namespace lighter::torch_optim
