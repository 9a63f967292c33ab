// Placeholder: being written.
#include "registrations.hpp"
namespace lighter::torchmetrics {
void register_auroc(Registrar&) {}
}  // namespace lighter::torchmetrics
