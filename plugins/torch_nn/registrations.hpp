#pragma once
// torch.nn components, grouped by the file that registers them.
#include <lighter/plugin.hpp>

namespace lighter::torch_nn {
void register_containers(Registrar& registrar);   // Sequential
void register_layers(Registrar& registrar);       // Linear, Embedding, norms, dropout, Flatten, Identity
void register_conv_pool(Registrar& registrar);    // Conv1d, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
void register_activations(Registrar& registrar);  // ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, LeakyReLU
void register_losses(Registrar& registrar);       // CrossEntropyLoss, MSELoss, L1Loss, ...
}  // namespace lighter::torch_nn
