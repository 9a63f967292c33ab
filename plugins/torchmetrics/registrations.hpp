#pragma once
// torchmetrics components, one register function per source file.
#include <lighter/sdk.hpp>

namespace lighter::torchmetrics {
void register_accuracy(Registrar& registrar);    // Accuracy
void register_collection(Registrar& registrar);  // MetricCollection
void register_precision_recall(Registrar& registrar);  // Precision, Recall, F1Score
void register_auroc(Registrar& registrar);             // AUROC
void register_regression(Registrar& registrar);        // MeanSquaredError, MeanAbsoluteError
}  // namespace lighter::torchmetrics
