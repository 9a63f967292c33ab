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
#include <lighter/sdk.hpp>

#include <optional>
#include <string>
#include <vector>

#include "ivalues.hpp"

namespace lighter::torch_optim {

class LrScheduler : public Scheduler {
 public:
  LrScheduler(std::string interval, int64_t frequency) : interval_(std::move(interval)), frequency_(frequency) {}

  void attach(torch::optim::Optimizer& optimizer, int64_t total_steps) override;
  void step(std::optional<double> metric) final;
  std::string interval() const override { return interval_; }
  Dict state_dict() const final;
  void load_state_dict(const Dict& state) final;

  // The groups' current learning rates (what Python's `group['lr']` reads).
  std::vector<double> lrs() const;

 protected:
  torch::optim::Optimizer& optimizer() const;
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
  std::string interval_;
  int64_t frequency_;
  int64_t interval_calls_ = 0;
  torch::optim::Optimizer* optimizer_ = nullptr;
};

class PythonScheduler : public LrScheduler {
 public:
  using LrScheduler::LrScheduler;

 protected:
  // Python's _LRScheduler.__init__ with last_epoch=-1: base_lrs from the groups' lr, then one step.
  void on_attach(int64_t total_steps) override;
  void advance(std::optional<double> metric) override;
  void write_state(Dict& state) const override;
  void read_state(const Dict& state) override;

  // Non-const: OneCycleLR's get_lr sets the momentum as a side effect, as Python's does.
  virtual std::vector<double> get_lr() = 0;
  // The subclass's own attributes (written before the base ones, as Python's __dict__ orders them).
  virtual void write_settings(Dict& state) const = 0;
  virtual void read_settings(const Dict& state) = 0;
  // Called by on_attach before base_lrs are read (OneCycleLR sets the initial lr there).
  virtual void prepare(int64_t /*total_steps*/) {}

  int64_t last_epoch_ = -1;
  std::vector<double> base_lrs_;

 private:
  int64_t step_count_ = 0;
  std::vector<double> last_lr_;
};

// Parameters every scheduler takes besides its own.
std::vector<Param> with_interval(std::vector<Param> own, const std::string& default_interval = "epoch");
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
