// Placeholder: being written.
#include "registrations.hpp"
namespace lighter::torchmetrics {
void register_regression(Registrar&) {}
}  // namespace lighter::torchmetrics
