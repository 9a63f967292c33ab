// Test plugin: registers a name the built-in torch_nn plugin already provides.
#include <lighter/sdk.hpp>

LIGHTER_PLUGIN(registrar) {
  registrar.add<lighter::Module>("torch.nn.Linear", "a clashing Linear (test)", {},
                                 [](const lighter::Args&) { return lighter::make_module(torch::nn::Identity()); });
}
