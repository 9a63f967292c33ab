// The data plugin: LighterDataModule, DataLoader and the built-in in-memory datasets.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  using namespace lighter::data;
  register_data_module(registrar);
  register_data_loader(registrar);
  register_synthetic(registrar);
  register_csv(registrar);
}
