// Lightning's experiment loggers: CSVLogger and TensorBoardLogger.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  using namespace lighter::lightning;
  register_csv_logger(registrar);
  register_tensorboard_logger(registrar);
}
