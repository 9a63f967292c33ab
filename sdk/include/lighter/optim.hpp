#pragma once
// torch.optim components. An optimizer is configured before the model's parameters exist, so
// the component is a recipe: the engine calls create() with the parameters to optimise (the
// model's trainable parameters unless the config's `params` selects a sub-module).
#include <torch/torch.h>

#include <map>
#include <string>

#include "lighter/data.hpp"
#include "lighter/object.hpp"

namespace lighter {

class Optimizer : public Object {
 public:
  static constexpr Kind static_kind = Kind::Optimizer;
  Kind kind() const override { return Kind::Optimizer; }

  // "Adam", "SGD": the name Lighter logs under (`train/optimizer/Adam/lr/epoch`).
  virtual std::string name() const = 0;
  virtual std::unique_ptr<torch::optim::Optimizer> create(std::vector<torch::Tensor> params) const = 0;
  // The sub-module selected by `params = "@model::network::..."`, or null for "all".
  std::shared_ptr<torch::nn::Module> params_module;

  // Python's optimizer.state_dict() layout, so checkpoints load in PyTorch:
  // {"state": {index: {...}}, "param_groups": [{"lr": ..., "params": [index, ...]}, ...]}.
  // Indices number the parameters across groups in order.
  virtual Dict state_dict(torch::optim::Optimizer& optimizer) const;
  virtual void load_state_dict(torch::optim::Optimizer& optimizer, const Dict& state) const;
  // Hyper-parameters worth logging once per epoch ("lr", "momentum", "betas[0]", ...).
  virtual std::map<std::string, double> stats(torch::optim::Optimizer& optimizer) const;
};

// Learning-rate schedules step the optimizer's param groups (interval "step" or "epoch").
class Scheduler : public Object {
 public:
  static constexpr Kind static_kind = Kind::Scheduler;
  Kind kind() const override { return Kind::Scheduler; }

  // Bind to the optimizer it schedules (called once, before training starts).
  virtual void attach(torch::optim::Optimizer& optimizer, int64_t total_steps) = 0;
  // Advance one interval; `metric` is the monitored value for plateau schedules.
  virtual void step(std::optional<double> metric) = 0;
  virtual std::string interval() const { return "epoch"; }
  virtual std::string monitor() const { return ""; }
  // Checkpoint state (scalars only; Lightning's `lr_schedulers` entry).
  virtual Dict state_dict() const { return {}; }
  virtual void load_state_dict(const Dict&) {}
};

}  // namespace lighter
