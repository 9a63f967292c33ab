#include "param_groups.hpp"

#include <algorithm>
#include <set>

#include "optimizer_state.hpp"

namespace lighter::torch_optim {

GroupArgs::GroupArgs(const Args& optimizer, Value::Table options, const std::string& path)
    : Args(optimizer.target(), path), optimizer_(optimizer), options_(std::move(options)) {}

Value GroupArgs::value(const std::string& key) const {
  for (const auto& [name, value] : options_)
    if (name == key) return value;
  return optimizer_.value(key);
}

std::vector<GroupSource> group_sources(const Args& a, const std::vector<std::string>& keys) {
  const Value groups = a.value("params");
  if (!groups.is_array()) return {};
  const auto modules = a.components<Module>("params");
  std::vector<GroupSource> out;
  for (size_t i = 0; i < groups.as_array().size(); ++i) {
    const std::string index = std::to_string(i);
    if (i >= modules.size() || !modules[i]) a.fail("params::" + index, "a parameter group without a module (is it disabled?)");
    const Value& options = groups.as_array()[i];
    for (const auto& [key, value] : options.as_table())
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        const auto close = closest_matches(key, keys);
        a.fail("params::" + index + "::" + key,
               "unknown option of a " + a.target() + " parameter group (" +
                   (close.empty() ? "its options: " + quoted(keys) : "did you mean '" + close.front() + "'?") + ")");
      }
    out.push_back({modules[i]->ptr(), GroupArgs(a, options.as_table(), a.path() + "::params::" + index)});
  }
  std::set<const void*> seen;
  for (size_t i = 0; i < out.size(); ++i)
    for (const auto& p : out[i].module->parameters())
      if (!seen.insert(p.unsafeGetTensorImpl()).second)
        a.fail("params::" + std::to_string(i),
               "some parameters appear in more than one parameter group (as in torch.optim, each parameter "
               "belongs to one group)");
  return out;
}

std::vector<std::vector<torch::Tensor>> group_tensors(const std::vector<std::shared_ptr<torch::nn::Module>>& modules) {
  std::vector<std::vector<torch::Tensor>> out;
  for (const auto& module : modules) {
    auto& group = out.emplace_back();
    for (auto& p : module->parameters())
      if (p.requires_grad()) group.push_back(p);
  }
  return out;
}

}  // namespace lighter::torch_optim
