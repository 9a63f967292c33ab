// torch.optim.lr_scheduler.OneCycleLR (PyTorch 1.13): warm up from max_lr/div_factor to max_lr,
// anneal to initial_lr/final_div_factor; momentum (or Adam's beta1) cycles inversely.
#include <cmath>
#include <stdexcept>

#include "registrations.hpp"
#include "scheduler_base.hpp"

namespace lighter::torch_optim {

namespace {
using namespace lighter::param;

// Python keeps these per group in the optimizer's param_groups; libtorch's options have no room
// for them, so the scheduler holds them (recomputed from the config at attach, as Python does).
struct GroupRange {
  double initial_lr, max_lr, min_lr, max_momentum, base_momentum;
};

struct Phase {
  double end_step;
  std::string start_lr, end_lr, start_momentum, end_momentum;  // Python's group keys
};

double group_value(const GroupRange& g, const std::string& key) {
  if (key == "initial_lr") return g.initial_lr;
  if (key == "max_lr") return g.max_lr;
  if (key == "min_lr") return g.min_lr;
  if (key == "max_momentum") return g.max_momentum;
  if (key == "base_momentum") return g.base_momentum;
  throw std::runtime_error("OneCycleLR: unknown schedule key '" + key + "'");
}

class OneCycleLR : public PythonScheduler {
 public:
  explicit OneCycleLR(const Args& a)
      : PythonScheduler(a), max_lrs_(float_or_list_of(a, "max_lr")),
        total_steps_(a.get_optional<int64_t>("total_steps").value_or(0)), pct_start_(a.get<double>("pct_start")),
        anneal_strategy_(a.get<std::string>("anneal_strategy")), cycle_momentum_(a.get<bool>("cycle_momentum")),
        base_momentums_(float_or_list_of(a, "base_momentum")),
        max_momentums_(float_or_list_of(a, "max_momentum")), div_factor_(a.get<double>("div_factor")),
        final_div_factor_(a.get<double>("final_div_factor")), three_phase_(a.get<bool>("three_phase")) {
    auto epochs = a.get_optional<int64_t>("epochs"), steps_per_epoch = a.get_optional<int64_t>("steps_per_epoch");
    if (!total_steps_ && epochs.has_value() != steps_per_epoch.has_value())
      a.fail(epochs ? "steps_per_epoch" : "epochs", "epochs and steps_per_epoch go together (or set total_steps)");
    if (!total_steps_ && epochs) total_steps_ = *epochs * *steps_per_epoch;
  }

 protected:
  void prepare(int64_t estimated_total_steps, std::vector<double>& initial_lrs) override {
    if (!total_steps_) total_steps_ = estimated_total_steps;
    if (total_steps_ <= 0)
      throw std::runtime_error(target() + ": the total number of steps is unknown: set total_steps, or epochs and "
                               "steps_per_epoch, or max_epochs/max_steps on the trainer");
    const double total = static_cast<double>(total_steps_);
    if (three_phase_)
      phases_ = {{pct_start_ * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
                 {2 * pct_start_ * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"},
                 {total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"}};
    else
      phases_ = {{pct_start_ * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
                 {total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"}};

    const auto max_lrs = per_group(max_lrs_, "max_lr");
    const auto max_momentums = per_group(max_momentums_, "max_momentum");
    const auto base_momentums = per_group(base_momentums_, "base_momentum");
    groups_.clear();
    for (size_t i = 0; i < max_lrs.size(); ++i) {
      const double initial = max_lrs[i] / div_factor_;
      groups_.push_back({initial, max_lrs[i], initial / final_div_factor_, max_momentums[i], base_momentums[i]});
    }
    initial_lrs.clear();  // Python sets group['initial_lr'], which _LRScheduler takes as base_lrs
    for (const auto& g : groups_) initial_lrs.push_back(g.initial_lr);
    use_beta1_ = cycle_momentum_ && uses_betas();
    if (cycle_momentum_)
      for (size_t i = 0; i < groups_.size(); ++i) set_momentum(i, groups_[i].max_momentum);
  }

  std::vector<double> get_lr() override {
    const int64_t step_num = last_epoch_;
    if (step_num > total_steps_)
      throw std::runtime_error(target() + ": tried to step " + std::to_string(step_num + 1) +
                               " times; the specified number of total steps is " + std::to_string(total_steps_));
    std::vector<double> out;
    for (size_t g = 0; g < groups_.size(); ++g) {
      double start_step = 0, lr = 0, momentum = 0;
      for (size_t i = 0; i < phases_.size(); ++i) {
        const Phase& phase = phases_[i];
        if (step_num <= phase.end_step || i + 1 == phases_.size()) {
          const double pct = (static_cast<double>(step_num) - start_step) / (phase.end_step - start_step);
          lr = anneal(group_value(groups_[g], phase.start_lr), group_value(groups_[g], phase.end_lr), pct);
          momentum = anneal(group_value(groups_[g], phase.start_momentum), group_value(groups_[g], phase.end_momentum), pct);
          break;
        }
        start_step = phase.end_step;
      }
      out.push_back(lr);
      if (cycle_momentum_) set_momentum(g, momentum);
    }
    return out;
  }

  void write_settings(Dict& state) const override {
    state.set("total_steps", total_steps_);
    GenericList phases = any_list();
    for (const Phase& p : phases_) {
      GenericDict entry = string_keyed();
      entry.insert("end_step", p.end_step);
      entry.insert("start_lr", p.start_lr);
      entry.insert("end_lr", p.end_lr);
      entry.insert("start_momentum", p.start_momentum);
      entry.insert("end_momentum", p.end_momentum);
      phases.push_back(entry);
    }
    state.set("_schedule_phases", phases);
    state.set("_anneal_func_type", anneal_strategy_);  // Python 2.x's name; 1.13 pickles a bound method
    state.set("cycle_momentum", cycle_momentum_);
    state.set("use_beta1", use_beta1_);
  }
  void read_settings(const Dict& state) override {
    const std::string& where = target();
    total_steps_ = state_int(state, "total_steps", where);
    phases_.clear();
    for (const auto& item : elements(require(state, "_schedule_phases", where), where + " _schedule_phases")) {
      const GenericDict p = item.toGenericDict();
      auto text = [&](const char* key) { return require(p, key, where + " _schedule_phases").toStringRef(); };
      phases_.push_back({to_double(require(p, "end_step", where), where + " end_step"), text("start_lr"),
                         text("end_lr"), text("start_momentum"), text("end_momentum")});
    }
    if (const c10::IValue* strategy = state.find("_anneal_func_type")) anneal_strategy_ = strategy->toStringRef();
    cycle_momentum_ = to_bool(require(state, "cycle_momentum", where), where + " cycle_momentum");
  }

 private:
  double anneal(double start, double end, double pct) const {
    if (anneal_strategy_ == "linear") return (end - start) * pct + start;
    const double cos_out = std::cos(M_PI * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
  }

  bool uses_betas() const {
    auto& options = optimizer().defaults();
    return dynamic_cast<torch::optim::AdamOptions*>(&options) || dynamic_cast<torch::optim::AdamWOptions*>(&options);
  }

  void set_momentum(size_t group, double momentum) {
    auto& options = optimizer().param_groups()[group].options();
    if (auto* o = dynamic_cast<torch::optim::SGDOptions*>(&options)) o->momentum(momentum);
    else if (auto* o = dynamic_cast<torch::optim::RMSpropOptions*>(&options)) o->momentum(momentum);
    else if (auto* o = dynamic_cast<torch::optim::AdamOptions*>(&options)) o->betas({momentum, std::get<1>(o->betas())});
    else if (auto* o = dynamic_cast<torch::optim::AdamWOptions*>(&options)) o->betas({momentum, std::get<1>(o->betas())});
    else
      throw std::runtime_error(target() + ": the optimizer has no momentum to cycle; set cycle_momentum = false");
  }

  std::vector<double> max_lrs_;
  int64_t total_steps_;
  double pct_start_;
  std::string anneal_strategy_;
  bool cycle_momentum_;
  std::vector<double> base_momentums_, max_momentums_;
  double div_factor_, final_div_factor_;
  bool three_phase_;
  bool use_beta1_ = false;
  std::vector<GroupRange> groups_;
  std::vector<Phase> phases_;
};
}  // namespace

void register_one_cycle(Registrar& r) {
  Param pct_start = real("pct_start", 0.3, "fraction of the cycle spent increasing the learning rate");
  pct_start.check = [](const Value& v) { return v.as_number() >= 0 && v.as_number() <= 1 ? "" : "a number in [0, 1]"; };

  r.add<Scheduler>(
      "torch.optim.lr_scheduler.OneCycleLR", "the 1cycle policy (stepped after every optimizer step by default)",
      python_params({float_or_list("max_lr", std::nullopt, "peak learning rate (one, or one per param group)"),
                     optional_positive_int("total_steps", "steps in the cycle; default: epochs * steps_per_epoch, "
                                                          "else the trainer's estimated total steps"),
                     optional_positive_int("epochs", "epochs (with steps_per_epoch) when total_steps is not set"),
                     optional_positive_int("steps_per_epoch", "steps per epoch (with epochs)"), pct_start,
                     choice("anneal_strategy", {"cos", "linear"}, "cos", "annealing shape"),
                     boolean("cycle_momentum", true, "cycle momentum (or Adam's beta1) inversely to the lr"),
                     float_or_list("base_momentum", 0.85, "lower momentum boundary"),
                     float_or_list("max_momentum", 0.95, "upper momentum boundary"),
                     real("div_factor", 25.0, "initial_lr = max_lr / div_factor"),
                     real("final_div_factor", 1e4, "min_lr = initial_lr / final_div_factor"),
                     boolean("three_phase", false, "annihilate the lr in a third phase (the paper's version)")},
                    "step"),
      [](const Args& a) { return std::make_shared<OneCycleLR>(a); });
}

}  // namespace lighter::torch_optim
