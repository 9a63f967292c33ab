// The torchmetrics plugin: metrics whose epoch values are exact over all samples.
#include "registrations.hpp"

namespace lighter::torchmetrics {

void add_metric(Registrar& r, const std::string& module, const std::string& name, const std::string& doc,
                const std::vector<Param>& params, const MetricFactory& factory, bool top_level) {
  const std::string qualified = "torchmetrics." + module + "." + name;
  if (!top_level) return r.add<Metric>(qualified, doc, params, factory);
  r.add<Metric>("torchmetrics." + name, doc, params, factory);
  r.add<Metric>(qualified, doc + " (the same as torchmetrics." + name + ")", params, factory);
}

}  // namespace lighter::torchmetrics

LIGHTER_PLUGIN(registrar) {
  lighter::torchmetrics::register_accuracy(registrar);
  lighter::torchmetrics::register_collection(registrar);
  lighter::torchmetrics::register_precision_recall(registrar);
  lighter::torchmetrics::register_auroc(registrar);
  lighter::torchmetrics::register_regression(registrar);
  lighter::torchmetrics::register_jaccard(registrar);
  lighter::torchmetrics::register_dice(registrar);
}
