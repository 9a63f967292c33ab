// The torchvision plugin: the MNIST-format datasets and the common image transforms.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  using namespace lighter::torchvision;
  register_mnist(registrar);
  register_transforms(registrar);
  register_random_crop(registrar);
}
