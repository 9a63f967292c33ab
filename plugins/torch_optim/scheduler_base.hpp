#pragma once
// Shared machinery of the torch.optim.lr_scheduler components.
//
// LrScheduler: the Lightning side (interval, frequency) and access to the optimizer's groups.
// Lightning steps a scheduler on every `frequency`-th interval; the trainer calls step() on
// every interval, so the scheduler counts the calls itself (and checkpoints the count).
//
// PythonScheduler: Python's _LRScheduler bookkeeping (last_epoch, base_lrs, _step_count,
// _last_lr). Subclasses give get_lr() in PyTorch's own chainable form, reading the groups'
// current learning rates, so the values match PyTorch's bit for bit.
//
// The engine binds the model's optimizer (attach); a config's `optimizer = "@model::optimizer"`
// is accepted as Python's first argument. SequentialLR binds its children itself and steps them:
// a child cannot be attached or stepped on its own.
#include <lighter/sdk.hpp>

#include <optional>
#include <string>
#include <vector>

#include "ivalues.hpp"

namespace lighter::torch_optim {

class SequentialLR;

class LrScheduler : public Scheduler {
 public:
  LrScheduler(std::string interval, int64_t frequency) : interval_(std::move(interval)), frequency_(frequency) {}
  // interval, frequency and the optional `optimizer` of with_interval's parameters.
  explicit LrScheduler(const Args& a);

  void attach(torch::optim::Optimizer& optimizer, int64_t total_steps) override;
  void step(std::optional<double> metric) final;
  std::string interval() const override { return interval_; }
  Dict state_dict() const final;
  void load_state_dict(const Dict& state) final;

  // The groups' current learning rates (what Python's `group['lr']` reads).
  std::vector<double> lrs() const;

 protected:
  friend class SequentialLR;

  torch::optim::Optimizer& optimizer() const;
  // Binds the optimizer without starting the schedule (attach, and SequentialLR for its children).
  void bind(torch::optim::Optimizer& optimizer);
  void set_lrs(const std::vector<double>& lrs);
  // A per-group setting given once or as a list with one value per group (Python's min_lr, max_lr).
  std::vector<double> per_group(const std::vector<double>& values, const std::string& name) const;

  virtual void on_attach(int64_t total_steps) = 0;
  // One scheduler step proper (after the frequency check).
  virtual void advance(std::optional<double> metric) = 0;
  // Python's state_dict() entries, in Python's order.
  virtual void write_state(Dict& state) const = 0;
  virtual void read_state(const Dict& state) = 0;

 private:
  void check_not_owned() const;

  std::string interval_;
  int64_t frequency_;
  int64_t interval_calls_ = 0;
  torch::optim::Optimizer* optimizer_ = nullptr;
  std::string owner_;                                // the SequentialLR that steps this one
};

class PythonScheduler : public LrScheduler {
 public:
  using LrScheduler::LrScheduler;
  // As LrScheduler(a), and Python's last_epoch (python_params), which must be -1.
  explicit PythonScheduler(const Args& a);

 protected:
  friend class SequentialLR;

  // Python's _LRScheduler.__init__ with last_epoch=-1: base_lrs from the groups' lr, then one step.
  void on_attach(int64_t total_steps) override;
  // The same given the groups' 'initial_lr' (Python keeps it in the param groups, where the first
  // scheduler of an optimizer sets it and later ones read it; OneCycleLR sets its own).
  void start(int64_t total_steps, std::vector<double>& initial_lrs);
  // Python's step(): last_epoch + 1, then get_lr().
  void advance(std::optional<double> metric) override;
  // Python's step(0), what SequentialLR calls at a milestone: the closed form at epoch 0 where the
  // schedule has one, else get_lr().
  virtual void restart();
  virtual std::optional<std::vector<double>> closed_form_lr() const { return std::nullopt; }
  // Sets the groups' lr and remembers them as Python's _last_lr.
  void apply(const std::vector<double>& lrs);
  // base_lrs times a factor (the closed forms' `base_lr * ...`).
  std::vector<double> scaled_base_lrs(double factor) const;
  void write_state(Dict& state) const override;
  void read_state(const Dict& state) override;

  // Non-const: OneCycleLR's get_lr sets the momentum as a side effect, as Python's does.
  virtual std::vector<double> get_lr() = 0;
  // The subclass's own attributes (written before the base ones, as Python's __dict__ orders them).
  virtual void write_settings(Dict& state) const = 0;
  virtual void read_settings(const Dict& state) = 0;
  // Called by start before base_lrs are taken from initial_lrs (OneCycleLR sets them there).
  virtual void prepare(int64_t /*total_steps*/, std::vector<double>& /*initial_lrs*/) {}

  int64_t last_epoch_ = -1;
  std::vector<double> base_lrs_;

 private:
  int64_t step_count_ = 0;
  std::vector<double> last_lr_;
};

// Parameters every scheduler takes besides its own: optimizer (Python's first argument, bound by
// the engine), interval and frequency (Lightning's).
std::vector<Param> with_interval(std::vector<Param> own, const std::string& default_interval = "epoch");
// with_interval plus Python's last_epoch, for PythonScheduler's subclasses.
std::vector<Param> python_params(std::vector<Param> own, const std::string& default_interval = "epoch");
// Python's last_epoch other than -1 resumes from state a new optimizer lacks: a config error.
void require_new_schedule(const Args& a);
std::string interval_of(const Args& a);
int64_t frequency_of(const Args& a);
// Declarations and getters shared by several schedulers.
Param positive_int(std::string name, std::optional<int64_t> default_value, std::string doc);
Param optional_positive_int(std::string name, std::string doc);  // null by default
Param float_or_list(std::string name, std::optional<double> default_value, std::string doc);
std::vector<double> float_or_list_of(const Args& a, const std::string& key);

// Reading helpers for state dicts ("where" names the scheduler for messages).
double state_double(const Dict& state, const std::string& key, const std::string& where);
int64_t state_int(const Dict& state, const std::string& key, const std::string& where);
std::vector<double> state_doubles(const Dict& state, const std::string& key, const std::string& where);

}  // namespace lighter::torch_optim
