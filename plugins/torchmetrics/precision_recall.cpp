// Placeholder: being written.
#include "registrations.hpp"
namespace lighter::torchmetrics {
void register_precision_recall(Registrar&) {}
}  // namespace lighter::torchmetrics
