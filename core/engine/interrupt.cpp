#include "engine/interrupt.hpp"

#include <csignal>
#include <unistd.h>

namespace lighter::host {

namespace {

volatile std::sig_atomic_t g_signal = 0;

void on_signal(int signal) {
  if (g_signal != 0) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  g_signal = signal;
  static const char message[] = "\n[warning] interrupt received: finishing the current step (again to abort)\n";
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, sizeof(message) - 1);
}

}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupt_requested() { return g_signal != 0; }

void check_interrupt() {
  if (interrupt_requested()) throw Interrupted();
}

}  // namespace lighter::host
