// Placeholder: being written.
#include "registrations.hpp"
namespace lighter::callbacks {
void register_csv_writer(Registrar&) {}
}  // namespace lighter::callbacks
