#pragma once
// SIGINT / SIGTERM during a stage: the loops finish the current step and stop cleanly
// (exit code 130). A second signal ends the process at once.
#include <stdexcept>

namespace lighter::host {

class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

void install_interrupt_handlers();
bool interrupt_requested();
// Throws Interrupted when a signal arrived.
void check_interrupt();

}  // namespace lighter::host
