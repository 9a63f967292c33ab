// The torchmetrics plugin: metrics whose epoch values are exact over all samples.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  lighter::torchmetrics::register_accuracy(registrar);
  lighter::torchmetrics::register_collection(registrar);
}
