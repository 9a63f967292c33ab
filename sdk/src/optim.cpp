#include "lighter/optim.hpp"

#include <stdexcept>

namespace lighter {

Dict Optimizer::state_dict(torch::optim::Optimizer&) const {
  throw std::runtime_error(target() + " cannot be checkpointed: its plugin does not implement Optimizer::state_dict");
}

void Optimizer::load_state_dict(torch::optim::Optimizer&, const Dict&) const {
  throw std::runtime_error(target() + " cannot be restored from a checkpoint: its plugin does not implement "
                           "Optimizer::load_state_dict");
}

std::map<std::string, double> Optimizer::stats(torch::optim::Optimizer& optimizer) const {
  std::map<std::string, double> out;
  if (!optimizer.param_groups().empty()) out["lr"] = optimizer.param_groups().front().options().get_lr();
  return out;
}

}  // namespace lighter
