// The torch.optim plugin: optimizers as recipes the engine instantiates on the model's parameters.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) { lighter::torch_optim::register_optimizers(registrar); }
