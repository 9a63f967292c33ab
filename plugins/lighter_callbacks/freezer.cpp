// Placeholder: being written.
#include "registrations.hpp"
namespace lighter::callbacks {
void register_freezer(Registrar&) {}
}  // namespace lighter::callbacks
