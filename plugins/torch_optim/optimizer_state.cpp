#include "optimizer_state.hpp"

#include <algorithm>
#include <stdexcept>

#include "lighter/torch_compat.hpp"

namespace lighter::torch_optim {

namespace {
compat::OptimizerStateKey state_key(const torch::Tensor& param) { return compat::optimizer_state_key(param); }

// The layout whose distinguishing keys a saved param group has, or null for none.
const PythonLayout* family_of(const GenericDict& group) {
  for (const PythonLayout* layout : {&sgd_layout(), &adam_layout(), &rmsprop_layout(), &adagrad_layout()}) {
    const auto keys = layout->signature();
    if (std::all_of(keys.begin(), keys.end(), [&](const std::string& key) { return find(group, key) != nullptr; })) return layout;
  }
  return nullptr;
}

// Python's state dicts do not name their optimizer: the param groups' keys tell.
void check_family(const PythonLayout& layout, const c10::IValue& group, const std::string& where) {
  if (!group.isGenericDict()) throw std::runtime_error(where + ": expected a dict, got " + group.tagKind());
  const PythonLayout* found = family_of(group.toGenericDict());
  if (found && found->family() == layout.family()) return;
  if (found)
    throw std::runtime_error("it holds " + found->family() + " state (" + where + " has " + quoted(found->signature()) +
                             "), not " + layout.family() + " state");
  std::vector<std::string> keys;
  for (const auto& entry : group.toGenericDict()) keys.push_back(entry.key().isString() ? entry.key().toStringRef() : "?");
  throw std::runtime_error("it holds no state of a torch.optim optimizer lighter knows (" + where + " has " + quoted(keys) +
                           "), not " + layout.family() + " state");
}

std::vector<int64_t> param_indices(const c10::IValue& params, const std::string& where) {
  std::vector<int64_t> out;
  for (const auto& index : elements(params, where)) out.push_back(to_int(index, where));
  return out;
}
}  // namespace

Dict save_optimizer_state(const PythonLayout& layout, const torch::optim::Optimizer& optimizer) {
  GenericDict state = int_keyed();
  GenericList groups = any_list();
  int64_t index = 0;
  for (const auto& group : optimizer.param_groups()) {
    GenericDict entry = string_keyed();
    layout.write_options(group.options(), entry);
    c10::List<int64_t> params;
    for (const auto& param : group.params()) {
      auto it = optimizer.state().find(state_key(param));
      if (it != optimizer.state().end()) {
        GenericDict param_state = string_keyed();
        layout.write_state(*it->second, param_state);
        state.insert(index, param_state);
      }
      params.push_back(index++);
    }
    entry.insert("params", params);
    groups.push_back(entry);
  }
  return Dict{{"state", state}, {"param_groups", groups}};
}

void load_optimizer_state(const PythonLayout& layout, torch::optim::Optimizer& optimizer, const Dict& saved) {
  const std::string where = "optimizer state";
  const auto saved_groups = elements(require(saved, "param_groups", where), where + " param_groups");
  const GenericDict saved_state = require(saved, "state", where).toGenericDict();
  for (size_t g = 0; g < saved_groups.size(); ++g)
    check_family(layout, saved_groups[g], "param_groups[" + std::to_string(g) + "]");
  auto& groups = optimizer.param_groups();
  if (saved_groups.size() != groups.size())
    throw std::runtime_error(where + " has " + std::to_string(saved_groups.size()) +
                             " parameter groups, the optimizer has " + std::to_string(groups.size()));

  // Check everything before changing anything, so a mismatch leaves the optimizer as it was.
  std::vector<std::vector<int64_t>> indices;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string group_where = where + " param_groups[" + std::to_string(g) + "]";
    indices.push_back(param_indices(require(saved_groups[g].toGenericDict(), "params", group_where), group_where));
    if (indices.back().size() != groups[g].params().size())
      throw std::runtime_error(group_where + " holds " + std::to_string(indices.back().size()) +
                               " parameters, the optimizer's group " + std::to_string(g) + " holds " +
                               std::to_string(groups[g].params().size()));
  }

  std::vector<std::pair<compat::OptimizerStateKey, std::unique_ptr<torch::optim::OptimizerParamState>>> states;
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t i = 0; i < indices[g].size(); ++i) {
      auto it = saved_state.find(c10::IValue(indices[g][i]));
      if (it == saved_state.end()) continue;
      const std::string state_where = where + " state[" + std::to_string(indices[g][i]) + "]";
      const torch::Tensor& param = groups[g].params()[i];
      states.emplace_back(state_key(param), layout.read_state(it->value().toGenericDict(), param, state_where));
    }
  }
  std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> options;
  for (size_t g = 0; g < groups.size(); ++g) {
    options.push_back(groups[g].options().clone());
    layout.read_options(saved_groups[g].toGenericDict(), *options.back(),
                        where + " param_groups[" + std::to_string(g) + "]");
  }

  for (size_t g = 0; g < groups.size(); ++g) groups[g].set_options(std::move(options[g]));
  optimizer.state().clear();
  for (auto& [key, state] : states) optimizer.state()[key] = std::move(state);
}

std::map<std::string, double> optimizer_stats(const PythonLayout& layout, const torch::optim::Optimizer& optimizer) {
  std::map<std::string, double> out;
  const auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string suffix = groups.size() > 1 ? "/group" + std::to_string(g + 1) : "";
    out["lr" + suffix] = groups[g].options().get_lr();
    if (auto momentum = layout.momentum(groups[g].options())) out["momentum" + suffix] = *momentum;
  }
  return out;
}

std::string quoted(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

}  // namespace lighter::torch_optim
