#pragma once
// Data components, one file each.
#include <lighter/plugin.hpp>

namespace lighter::data {
void register_data_module(Registrar& registrar);  // lighter.LighterDataModule
void register_data_loader(Registrar& registrar);  // torch.utils.data.DataLoader
void register_synthetic(Registrar& registrar);    // lighter.datasets.Synthetic
void register_csv(Registrar& registrar);          // lighter.datasets.CSV
}  // namespace lighter::data
