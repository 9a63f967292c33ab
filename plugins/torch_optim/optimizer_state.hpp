#pragma once
// Optimizer checkpoints in Python's optimizer.state_dict() layout, so Lightning-style
// checkpoints load into torch.optim in Python and back:
//   {"state": {0: {"exp_avg": ..., ...}, ...},
//    "param_groups": [{"lr": ..., "betas": (..., ...), ..., "params": [0, 1, ...]}, ...]}
// libtorch keeps the same values under other names (its per-parameter state is keyed by the
// tensor's address, its options are typed), so each optimizer family supplies a PythonLayout.
#include <lighter/sdk.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ivalues.hpp"

namespace lighter::torch_optim {

class PythonLayout {
 public:
  virtual ~PythonLayout() = default;
  // One param group's hyper-parameters as Python names them (without "params").
  virtual void write_options(const torch::optim::OptimizerOptions& options, GenericDict& group) const = 0;
  virtual void read_options(const GenericDict& group, torch::optim::OptimizerOptions& options,
                            const std::string& where) const = 0;
  // One parameter's state; read_state casts tensors to the parameter's device and dtype (as
  // Python's load_state_dict does) except the step count.
  virtual void write_state(const torch::optim::OptimizerParamState& state, GenericDict& out) const = 0;
  virtual std::unique_ptr<torch::optim::OptimizerParamState> read_state(const GenericDict& state,
                                                                        const torch::Tensor& param,
                                                                        const std::string& where) const = 0;
  // Lighter's get_optimizer_stats: "momentum" is the momentum factor or betas[0]; none for Adagrad.
  virtual std::optional<double> momentum(const torch::optim::OptimizerOptions& options) const = 0;
  // Which optimizers' state this reads ("torch.optim.SGD"), and the param_group keys that tell
  // that state from the others' (Python's state dicts do not name their optimizer).
  virtual std::string family() const = 0;
  virtual std::vector<std::string> signature() const = 0;
};

const PythonLayout& sgd_layout();
const PythonLayout& adam_layout();
const PythonLayout& adamw_layout();
const PythonLayout& rmsprop_layout();
const PythonLayout& adagrad_layout();

Dict save_optimizer_state(const PythonLayout& layout, const torch::optim::Optimizer& optimizer);
// Restores hyper-parameters and state like Python's Optimizer.load_state_dict: groups and
// parameters are matched by position. State of another optimizer family, a size or shape
// mismatch is an error naming the group (nothing is changed then).
void load_optimizer_state(const PythonLayout& layout, torch::optim::Optimizer& optimizer, const Dict& state);
// "lr" and "momentum" for one group; "lr/group1", "lr/group2", ... with several (Lighter's names).
std::map<std::string, double> optimizer_stats(const PythonLayout& layout, const torch::optim::Optimizer& optimizer);

// "'a', 'b'": names as messages list them.
std::string quoted(const std::vector<std::string>& names);

// A tensor snapshot that later in-place optimizer updates do not change.
inline torch::Tensor snapshot(const torch::Tensor& t) { return t.detach().clone(); }

}  // namespace lighter::torch_optim
