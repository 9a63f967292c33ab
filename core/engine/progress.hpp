#pragma once
// Progress while a loop runs: a redrawn bar on a terminal (it/s, loss, ETA), and a plain line
// every few seconds otherwise (logs, CI).
#include <chrono>
#include <string>

namespace lighter::host {

class ProgressReporter {
 public:
  void set_enabled(bool enabled) { enabled_ = enabled; }
  void start(const std::string& label, int64_t total);
  // Whether update() would print now (so callers can skip formatting its text).
  bool due(int64_t done) const;
  void update(int64_t done, const std::string& metrics);
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_ = true;
  bool tty_ = false;
  std::string label_;
  int64_t total_ = 0;
  Clock::time_point started_, last_print_;
  bool drawn_ = false;
};

}  // namespace lighter::host
