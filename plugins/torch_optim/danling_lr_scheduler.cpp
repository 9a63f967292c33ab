// danling.optim.LRScheduler: one schedule shape (cosine, linear or constant) from the initial to
// a final learning rate over total_steps, with a linear warmup at the start and a linear
// cooldown at the end, stepped after every optimizer step. Step s (the first optimizer step has
// s = 1) has progress p = clamp(s / total, 0, 1) and ratio r(p); then
//   percentile: lr' = lr * (F / lr)^r        numerical: lr' = (1 - r)(lr - F) + F
//   warmup (0 < s < warmup):             lr' = (s / warmup)(lr' - min_lr) + min_lr
//   cooldown (s > total - cooldown):     lr' = (1 - (s - (total - cooldown)) / cooldown)(lr' - min_lr) + min_lr
// and finally max(min_lr, lr'). F is final_lr, or lr * final_lr_ratio (1e-3 when neither is set).
#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "registrations.hpp"
#include "scheduler_base.hpp"

namespace lighter::torch_optim {

namespace {
using namespace lighter::param;
const char* const kName = "danling.optim.LRScheduler";

struct Settings {
  std::optional<int64_t> total_steps, warmup_steps, cooldown_steps;
  std::optional<double> final_lr_ratio, final_lr;
  double min_lr = 1e-9;
  std::string method = "cosine", scaling = "percentile";
};

struct Steps {
  int64_t total, warmup, cooldown;
};
Steps steps_for(const Settings& s, int64_t total) {
  return {total, s.warmup_steps.value_or(total / 20), s.cooldown_steps.value_or(total / 5)};
}
// (key, what is wrong) when the step counts do not fit together.
std::optional<std::pair<std::string, std::string>> check(const Steps& s) {
  if (s.total <= 0)
    return std::pair{"total_steps", "expected > 0, got " + std::to_string(s.total) +
                                        " (set it, or max_epochs/max_steps on the trainer so it can be estimated)"};
  for (const auto& [name, value] : {std::pair{"warmup_steps", s.warmup}, std::pair{"cooldown_steps", s.cooldown}})
    if (value < 0 || value > s.total)
      return std::pair{std::string(name), "expected an integer in [0, total_steps = " + std::to_string(s.total) +
                                              "], got " + std::to_string(value)};
  if (s.warmup + s.cooldown > s.total)
    return std::pair{"cooldown_steps", "warmup_steps + cooldown_steps (" + std::to_string(s.warmup) + " + " +
                                           std::to_string(s.cooldown) + ") exceed total_steps (" +
                                           std::to_string(s.total) + ")"};
  return std::nullopt;
}

class DanLingLRScheduler : public PythonScheduler {
 public:
  explicit DanLingLRScheduler(Settings s) : PythonScheduler("step", 1), s_(std::move(s)) {
    if (s_.total_steps) resolve(*s_.total_steps);
  }

 protected:
  void prepare(int64_t estimated_total_steps, std::vector<double>&) override {
    if (!total_) resolve(s_.total_steps.value_or(estimated_total_steps));
  }

  std::vector<double> get_lr() override {
    const int64_t s = last_epoch_ + 1;  // Python's _step_count: 1 for the first optimizer step
    std::vector<double> out;
    for (double lr : base_lrs_) out.push_back(lr_at(lr, s));
    return out;
  }

  void write_settings(Dict& state) const override {
    state.set("total_steps", total_);
    state.set("final_lr_ratio", s_.final_lr_ratio ? c10::IValue(*s_.final_lr_ratio) : c10::IValue());
    state.set("final_lr", s_.final_lr ? c10::IValue(*s_.final_lr) : c10::IValue());
    state.set("min_lr", min_lr_);
    state.set("method", s_.method);
    state.set("scaling", s_.scaling);
    state.set("warmup_steps", warmup_);
    state.set("cooldown_steps", cooldown_);
  }
  void read_settings(const Dict& state) override {
    total_ = state_int(state, "total_steps", kName);
    warmup_ = state_int(state, "warmup_steps", kName);
    cooldown_ = state_int(state, "cooldown_steps", kName);
    min_lr_ = state_double(state, "min_lr", kName);
  }

 private:
  // Fixes total, warmup, cooldown and min_lr once the total is known.
  void resolve(int64_t total) {
    const auto steps = steps_for(s_, total);
    if (const auto problem = check(steps))
      throw std::runtime_error(std::string(kName) + ": " + problem->first + ": " + problem->second);
    total_ = steps.total;
    warmup_ = steps.warmup;
    cooldown_ = steps.cooldown;
    min_lr_ = s_.final_lr ? std::min(s_.min_lr, *s_.final_lr) : s_.min_lr;
  }

  double ratio(double progress) const {
    if (s_.method == "linear") return progress;
    if (s_.method == "cosine") return 1 - (1 + std::cos(M_PI * progress)) / 2;
    return 0;  // constant
  }

  double lr_at(double lr, int64_t step) const {
    const double s = static_cast<double>(step), total = static_cast<double>(total_);
    const double r = ratio(std::clamp(s / total, 0.0, 1.0));
    const double final_lr = s_.final_lr ? *s_.final_lr : lr * s_.final_lr_ratio.value_or(1e-3);
    double out = s_.scaling == "percentile" ? lr * std::pow(final_lr / lr, r) : (1 - r) * (lr - final_lr) + final_lr;
    if (step > 0 && step < warmup_) {
      out = (s / static_cast<double>(warmup_)) * (out - min_lr_) + min_lr_;
    } else if (cooldown_ > 0 && step > total_ - cooldown_) {
      const double into = s - static_cast<double>(total_ - cooldown_);
      out = (1 - into / static_cast<double>(cooldown_)) * (out - min_lr_) + min_lr_;
    }
    return std::max(min_lr_, out);
  }

  Settings s_;
  int64_t total_ = 0, warmup_ = 0, cooldown_ = 0;
  double min_lr_ = 1e-9;
};

Param optional_real(const std::string& name, const std::string& doc) {
  Param p = real(name, std::nullopt, doc);
  p.type = Type::Int | Type::Float | Type::Null;
  p.default_value = Value();
  return p;
}
Param optional_choice(const std::string& name, std::vector<std::string> choices, const std::string& doc) {
  Param p = choice(name, std::move(choices), std::nullopt, doc);
  p.type = Type::String | Type::Null;
  p.default_value = Value();
  return p;
}
Param optional_count(const std::string& name, const std::string& doc) {
  Param p = integer(name, std::nullopt, doc);
  p.type = Type::Int | Type::Null;
  p.default_value = Value();
  return p;
}
}  // namespace

void register_danling_lr_scheduler(Registrar& r) {
  r.add<Scheduler>(
      kName, "DanLing's schedule: cosine, linear or constant decay with warmup and cooldown, every optimizer step",
      {optional_count("total_steps", "steps of the whole schedule (default: the trainer's total optimizer steps)"),
       optional_real("final_lr_ratio", "final lr = initial lr * final_lr_ratio (default 1e-3)"),
       optional_real("final_lr", "final learning rate (instead of final_lr_ratio)"),
       real("min_lr", 1e-9, "the learning rate never goes below this"),
       choice("method", {"cosine", "linear", "constant"}, "cosine", "shape of the decay"),
       optional_count("warmup_steps", "steps of linear warmup from min_lr (default total_steps // 20)"),
       optional_count("cooldown_steps", "steps of linear cooldown to min_lr (default total_steps // 5)"),
       optional_choice("scaling", {"percentile", "numerical"},
                       "lr * (final / lr)^ratio, or a straight line; default percentile, numerical when only "
                       "final_lr is set")},
      [](const Args& a) {
        Settings s;
        s.total_steps = a.get_optional<int64_t>("total_steps");
        s.final_lr_ratio = a.get_optional<double>("final_lr_ratio");
        s.final_lr = a.get_optional<double>("final_lr");
        if (s.final_lr_ratio && s.final_lr) a.fail("final_lr", "set final_lr or final_lr_ratio, not both");
        s.min_lr = a.get<double>("min_lr");
        if (s.min_lr < 0) a.fail("min_lr", "expected a number >= 0");
        if (s.final_lr && *s.final_lr < 0) a.fail("final_lr", "expected a number >= 0");
        if (s.final_lr_ratio && *s.final_lr_ratio <= 0) a.fail("final_lr_ratio", "expected a number > 0");
        s.method = a.get<std::string>("method");
        s.warmup_steps = a.get_optional<int64_t>("warmup_steps");
        s.cooldown_steps = a.get_optional<int64_t>("cooldown_steps");
        s.scaling = a.get_optional<std::string>("scaling").value_or(s.final_lr ? "numerical" : "percentile");
        if (s.total_steps)
          if (const auto problem = check(steps_for(s, *s.total_steps))) a.fail(problem->first, problem->second);
        return std::make_shared<DanLingLRScheduler>(std::move(s));
      });
}

}  // namespace lighter::torch_optim
