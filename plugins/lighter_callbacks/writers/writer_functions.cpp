// Placeholder: being written.
#include "../registrations.hpp"
namespace lighter::callbacks {
void register_writer_functions(Registrar&) {}
}  // namespace lighter::callbacks
