#pragma once
// SIGINT / SIGTERM: the loops finish the current step and stop cleanly (exit code 130). The
// handlers are installed before anything else runs, so a signal during start-up (loading
// plugins, building) also ends in 130, with nothing written. A second signal (not the copy
// `timeout` sends to the process group right after the first) ends the process at once.
#include <stdexcept>
#include <string>

namespace lighter::host {

class Interrupted : public std::runtime_error {
 public:
  // `when`: "after a completed step", "before the run started (nothing was written)", ...
  explicit Interrupted(const std::string& when = "after a completed step") : std::runtime_error(when) {}
};

// Async-signal-safe; may run before main (see cli/main.cpp).
void install_interrupt_handlers();
bool interrupt_requested();
// Throws Interrupted(when) when a signal arrived.
void check_interrupt(const char* when = "after a completed step");

}  // namespace lighter::host
