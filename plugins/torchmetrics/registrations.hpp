#pragma once
// torchmetrics components, one register function per source file.
#include <lighter/sdk.hpp>

namespace lighter::torchmetrics {
void register_accuracy(Registrar& registrar);    // Accuracy
void register_collection(Registrar& registrar);  // MetricCollection
}  // namespace lighter::torchmetrics
