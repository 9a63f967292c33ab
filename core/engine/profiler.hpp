#pragma once
// `profiler = "simple"`: Lightning's SimpleProfiler. Every hook and step the trainer runs is
// timed under an action name ("run_training_batch", "[Callback]ModelCheckpoint.on_train_epoch_end")
// and the stage ends with its report: mean, calls, total and share of the stage's time per
// action, largest first. Off (null), a scope costs one pointer test.
#include <chrono>
#include <map>
#include <string>

namespace lighter::host {

class SimpleProfiler {
 public:
  using Clock = std::chrono::steady_clock;

  void start(const std::string& stage);  // clears the records, starts the stage's clock
  void record(const std::string& action, Clock::duration took);
  // Lightning's "FIT Profiler Report" table.
  std::string report() const;

 private:
  struct Durations {
    size_t calls = 0;
    double total = 0.0;  // seconds
  };
  std::string stage_;
  Clock::time_point started_{};
  std::map<std::string, Durations> actions_;
};

// Times one action into `profiler` (when not null).
class ProfileScope {
 public:
  ProfileScope(SimpleProfiler* profiler, const char* action) : profiler_(profiler), action_(action) {
    if (profiler_) started_ = SimpleProfiler::Clock::now();
  }
  ProfileScope(SimpleProfiler* profiler, std::string action) : ProfileScope(profiler, "") { name_ = std::move(action); }
  ~ProfileScope() {
    if (profiler_) profiler_->record(name_.empty() ? std::string(action_) : name_, SimpleProfiler::Clock::now() - started_);
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  SimpleProfiler* profiler_;
  const char* action_;
  std::string name_;
  SimpleProfiler::Clock::time_point started_{};
};

// Python's f"{x:.5}" (5 significant digits, fixed notation keeps a ".0").
std::string python_short_float(double value);

}  // namespace lighter::host
