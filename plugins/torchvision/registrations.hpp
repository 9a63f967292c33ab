#pragma once
// torchvision components, one file per family.
#include <lighter/plugin.hpp>

namespace lighter::torchvision {
void register_mnist(Registrar& registrar);        // torchvision.datasets.{MNIST,FashionMNIST}
void register_transforms(Registrar& registrar);   // torchvision.transforms.{Compose,Normalize,ToTensor,Random*Flip}
void register_random_crop(Registrar& registrar);  // torchvision.transforms.RandomCrop
}  // namespace lighter::torchvision
