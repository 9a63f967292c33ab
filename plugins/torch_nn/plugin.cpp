// The torch.nn plugin: layers, containers and losses wrapping libtorch's modules.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  using namespace lighter::torch_nn;
  register_containers(registrar);
  register_layers(registrar);
  register_conv_pool(registrar);
  register_activations(registrar);
  register_losses(registrar);
}
