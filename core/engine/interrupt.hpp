#pragma once
// SIGINT / SIGTERM: the loops finish the current step and stop cleanly (exit code 130). The
// launcher's handlers are in place before libtorch loads, so a signal during start-up (loading
// libtorch and the plugins, building) also ends in 130, with nothing written. A second signal (not the copy
// `timeout` sends to the process group right after the first) ends the process at once.
#include <sys/types.h>

#include <stdexcept>
#include <vector>
#include <string>

namespace lighter::host {

class Interrupted : public std::runtime_error {
 public:
  // `when`: "after a completed step", "before the run started (nothing was written)", ...
  explicit Interrupted(const std::string& when = "after a completed step") : std::runtime_error(when) {}
};

void install_interrupt_handlers();
// Records `signal` as if it had arrived now, without the warning (the launcher printed it: it
// caught the signal while the engine was loading, see cli/launcher.cpp).
void note_interrupt(int signal);
bool interrupt_requested();
// SIGINT/SIGTERM reaching this process are passed on to these processes (the local ranks it
// started), so `kill` of the launcher stops the whole job; an empty list stops forwarding.
void forward_interrupts_to(const std::vector<pid_t>& pids);
// Throws Interrupted(when) when a signal arrived.
void check_interrupt(const char* when = "after a completed step");

}  // namespace lighter::host
