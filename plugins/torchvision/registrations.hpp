#pragma once
// torchvision components, one file per family.
#include <lighter/plugin.hpp>

namespace lighter::torchvision {
void register_mnist(Registrar& registrar);        // torchvision.datasets.{MNIST,FashionMNIST}
void register_cifar(Registrar& registrar);        // torchvision.datasets.{CIFAR10,CIFAR100}
void register_transforms(Registrar& registrar);   // torchvision.transforms.{Compose,Normalize,ToTensor,Random*Flip}
void register_random_crop(Registrar& registrar);  // torchvision.transforms.RandomCrop
void register_resize_crop(Registrar& registrar);  // torchvision.transforms.{Resize,CenterCrop,RandomResizedCrop,Pad}
void register_color_jitter(Registrar& registrar); // torchvision.transforms.ColorJitter
void register_rotation(Registrar& registrar);     // torchvision.transforms.RandomRotation
void register_resnet(Registrar& registrar);       // torchvision.models.{resnet18,resnet34,resnet50}
}  // namespace lighter::torchvision
