#include "engine/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace lighter::host {

namespace {
std::string clock_text(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  return fmt::format("{}:{:02d}", s / 60, s % 60);
}
}  // namespace

void ProgressReporter::start(const std::string& label, int64_t total) {
  label_ = label;
  total_ = total;
  started_ = last_print_ = Clock::now();
  tty_ = ::isatty(STDERR_FILENO) != 0;
  drawn_ = false;
}

bool ProgressReporter::due(int64_t done) const {
  if (!enabled_ || total_ <= 0) return false;
  const double since_print = std::chrono::duration<double>(Clock::now() - last_print_).count();
  return since_print >= (tty_ ? 0.1 : 10.0) || done == total_;
}

void ProgressReporter::update(int64_t done, const std::string& metrics) {
  if (!due(done)) return;
  const auto now = Clock::now();
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  if (tty_) {
    const int width = 24;
    const int filled = static_cast<int>(width * done / total_);
    std::fprintf(stderr, "\r%s [%s%s] %lld/%lld %.1fit/s eta %s %s\x1b[K", label_.c_str(), std::string(filled, '=').c_str(),
                 std::string(width - filled, ' ').c_str(), static_cast<long long>(done), static_cast<long long>(total_), rate,
                 clock_text(eta).c_str(), metrics.c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else if (done != total_) {
    spdlog::info("{} {}/{} ({:.1f}it/s, eta {}) {}", label_, done, total_, rate, clock_text(eta), metrics);
  }
}

void ProgressReporter::finish() {
  if (drawn_) std::fputc('\n', stderr);
  drawn_ = false;
}

}  // namespace lighter::host
