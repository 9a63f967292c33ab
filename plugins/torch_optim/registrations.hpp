#pragma once
// torch.optim components. (LR schedulers, torch.optim.lr_scheduler.*, go in a schedulers.cpp
// with its own register function.)
#include <lighter/plugin.hpp>

namespace lighter::torch_optim {
void register_optimizers(Registrar& registrar);  // SGD, Adam, AdamW, RMSprop, Adagrad
}  // namespace lighter::torch_optim
