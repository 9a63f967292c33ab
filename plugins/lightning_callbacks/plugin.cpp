// Lightning's standard callbacks: ModelCheckpoint, EarlyStopping and LearningRateMonitor.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  using namespace lighter::lightning;
  register_model_checkpoint(registrar);
  register_early_stopping(registrar);
  register_lr_monitor(registrar);
}
