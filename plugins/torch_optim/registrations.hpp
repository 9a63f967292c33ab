#pragma once
// torch.optim components, one register function per source file.
#include <lighter/sdk.hpp>

namespace lighter::torch_optim {
void register_optimizers(Registrar& registrar);  // SGD, Adam, AdamW, RMSprop, Adagrad
// lr_scheduler.{StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR}; calls the four below.
void register_schedulers(Registrar& registrar);
void register_warm_restarts(Registrar& registrar);  // lr_scheduler.CosineAnnealingWarmRestarts
void register_sequential(Registrar& registrar);     // lr_scheduler.SequentialLR
void register_one_cycle(Registrar& registrar);  // lr_scheduler.OneCycleLR
void register_plateau(Registrar& registrar);    // lr_scheduler.ReduceLROnPlateau
void register_danling_lr_scheduler(Registrar& registrar);  // danling.optim.LRScheduler
}  // namespace lighter::torch_optim
