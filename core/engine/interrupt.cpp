#include "engine/interrupt.hpp"

#include <time.h>
#include <unistd.h>

#include <csignal>

namespace lighter::host {

namespace {

volatile std::sig_atomic_t g_signal = 0;
volatile time_t g_first_signal_at = 0;  // CLOCK_MONOTONIC seconds

time_t monotonic_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
  return now.tv_sec;
}

void on_signal(int signal) {
  if (g_signal != 0) {
    // `timeout` and job schedulers send the signal to the process and to its process group: a
    // repeat within a second or so is that same request, not a second one.
    if (monotonic_seconds() - g_first_signal_at < 2) return;
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  g_first_signal_at = monotonic_seconds();
  g_signal = signal;
  static const char message[] = "\n[warning] interrupt received: finishing the current step (again to abort)\n";
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, sizeof(message) - 1);
}

}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

void note_interrupt(int signal) {
  if (g_signal != 0) return;
  g_first_signal_at = monotonic_seconds();
  g_signal = signal;
}

bool interrupt_requested() { return g_signal != 0; }

void check_interrupt(const char* when) {
  if (interrupt_requested()) throw Interrupted(when);
}

}  // namespace lighter::host
