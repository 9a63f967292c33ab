#pragma once
// Lighter's callbacks, one file (or folder) each.
#include <lighter/plugin.hpp>

namespace lighter::callbacks {
void register_csv_writer(Registrar& registrar);        // lighter.callbacks.CsvWriter
void register_file_writer(Registrar& registrar);       // lighter.callbacks.FileWriter
void register_writer_functions(Registrar& registrar);  // FileWriter's writer_fn: tensor, image_2d, ...
void register_freezer(Registrar& registrar);           // lighter.callbacks.Freezer
}  // namespace lighter::callbacks
