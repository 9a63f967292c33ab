// The torchmetrics plugin: metrics whose epoch values are exact over all samples.
#include "registrations.hpp"

LIGHTER_PLUGIN(registrar) {
  lighter::torchmetrics::register_accuracy(registrar);
  lighter::torchmetrics::register_collection(registrar);
  lighter::torchmetrics::register_precision_recall(registrar);
  lighter::torchmetrics::register_auroc(registrar);
  lighter::torchmetrics::register_regression(registrar);
}
