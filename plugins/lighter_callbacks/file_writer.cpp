// Placeholder: being written.
#include "registrations.hpp"
namespace lighter::callbacks {
void register_file_writer(Registrar&) {}
}  // namespace lighter::callbacks
