#pragma once
// torch.optim's parameter groups: `params = [{params = "@model::network::0", lr = 1e-4}, ...]`.
// The host hands a list `params` as objects("params") (each group's module) and value("params")
// (aligned: each group's own options). A group's options override the optimizer's and are
// checked by the same code, read through GroupArgs.
#include <lighter/sdk.hpp>

#include <string>
#include <vector>

namespace lighter::torch_optim {

// The optimizer's Args with one group's options in front.
class GroupArgs : public Args {
 public:
  GroupArgs(const Args& optimizer, Value::Table options, const std::string& path);
  Value value(const std::string& key) const override;
  ObjectPtr object(const std::string& key) const override { return optimizer_.object(key); }
  std::vector<ObjectPtr> objects(const std::string& key) const override { return optimizer_.objects(key); }

 private:
  const Args& optimizer_;
  Value::Table options_;
};

// One group: its module and the Args its options are read from.
struct GroupSource {
  std::shared_ptr<torch::nn::Module> module;
  GroupArgs args;
};

// The groups of `params`, empty when it is one module or unset. A group key outside `keys`
// (the optimizer's own options), a group without a module and a parameter in two groups are
// errors.
std::vector<GroupSource> group_sources(const Args& a, const std::vector<std::string>& keys);

// The trainable tensors of each group's module.
std::vector<std::vector<torch::Tensor>> group_tensors(const std::vector<std::shared_ptr<torch::nn::Module>>& modules);

}  // namespace lighter::torch_optim
