// The torch.optim plugin: optimizers as recipes the engine instantiates on the model's
// parameters, the torch.optim.lr_scheduler schedules and DanLing's LRScheduler.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  lighter::torch_optim::register_optimizers(registrar);
  lighter::torch_optim::register_schedulers(registrar);
  lighter::torch_optim::register_danling_lr_scheduler(registrar);
}
