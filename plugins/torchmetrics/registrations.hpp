#pragma once
// torchmetrics components, one register function per source file.
#include <lighter/sdk.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lighter::torchmetrics {
void register_accuracy(Registrar& registrar);          // Accuracy, Binary/Multiclass/MultilabelAccuracy
void register_collection(Registrar& registrar);        // MetricCollection
void register_precision_recall(Registrar& registrar);  // Precision, Recall, F1Score, FBetaScore and task classes
void register_auroc(Registrar& registrar);             // AUROC, Binary/Multiclass/MultilabelAUROC
void register_regression(Registrar& registrar);        // MeanSquaredError, MeanAbsoluteError
void register_jaccard(Registrar& registrar);           // JaccardIndex and task classes
void register_dice(Registrar& registrar);              // Dice

using MetricFactory = std::function<std::shared_ptr<Metric>(const Args&)>;
// Where Python's torchmetrics exports a metric: `torchmetrics.<module>.<name>`, and with
// top_level also `torchmetrics.<name>` (the task wrappers and regression metrics; the task
// classes such as BinaryAccuracy are only in torchmetrics.classification). Each path is its own
// registry entry with the same parameters and factory; the module path's doc names the other.
void add_metric(Registrar& registrar, const std::string& module, const std::string& name, const std::string& doc,
                const std::vector<Param>& params, const MetricFactory& factory, bool top_level);
}  // namespace lighter::torchmetrics
