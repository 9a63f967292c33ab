#include "engine/interrupt.hpp"

#include <time.h>
#include <unistd.h>

#include <csignal>
#include <vector>

namespace lighter::host {

namespace {

volatile std::sig_atomic_t g_signal = 0;
volatile time_t g_first_signal_at = 0;  // CLOCK_MONOTONIC seconds
constexpr int kMaxForwarded = 256;
volatile pid_t g_forward_to[kMaxForwarded] = {};  // local ranks started by this process (0: none)

time_t monotonic_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
  return now.tv_sec;
}

void forward(int signal) {
  for (int i = 0; i < kMaxForwarded; ++i)
    if (g_forward_to[i] > 0) ::kill(g_forward_to[i], signal);
}

void on_signal(int signal) {
  forward(signal);
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

void forward_interrupts_to(const std::vector<pid_t>& pids) {
  for (int i = 0; i < kMaxForwarded; ++i) g_forward_to[i] = i < static_cast<int>(pids.size()) ? pids[i] : 0;
}

bool interrupt_requested() { return g_signal != 0; }

void check_interrupt(const char* when) {
  if (interrupt_requested()) throw Interrupted(when);
}

}  // namespace lighter::host
