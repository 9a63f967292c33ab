// The torch.optim plugin: optimizers as recipes the engine instantiates on the model's
// parameters, and the torch.optim.lr_scheduler schedules.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  lighter::torch_optim::register_optimizers(registrar);
  lighter::torch_optim::register_schedulers(registrar);
}
