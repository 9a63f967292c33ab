// Lighter's own callbacks: the prediction writers (CsvWriter, FileWriter and FileWriter's
// writer functions) and the Freezer.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  using namespace lighter::callbacks;
  register_csv_writer(registrar);
  register_file_writer(registrar);
  register_writer_functions(registrar);
  register_freezer(registrar);
}
