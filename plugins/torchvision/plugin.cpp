// The torchvision plugin: the MNIST and CIFAR datasets, the common image transforms and ResNets.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  using namespace lighter::torchvision;
  register_mnist(registrar);
  register_cifar(registrar);
  register_transforms(registrar);
  register_random_crop(registrar);
  register_resize_crop(registrar);
  register_color_jitter(registrar);
  register_rotation(registrar);
  register_resnet(registrar);
}
