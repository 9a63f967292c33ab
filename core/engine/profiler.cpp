#include "engine/profiler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace lighter::host {

void SimpleProfiler::start(const std::string& stage) {
  stage_ = stage;
  actions_.clear();
  started_ = Clock::now();
}

void SimpleProfiler::record(const std::string& action, Clock::duration took) {
  auto& durations = actions_[action];
  ++durations.calls;
  durations.total += std::chrono::duration<double>(took).count();
}

std::string python_short_float(double value) {
  std::string text = fmt::format("{:.5g}", value);
  if (text.find_first_of(".eninf") == std::string::npos) text += ".0";
  return text;
}

std::string SimpleProfiler::report() const {
  const double stage_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  std::string upper = stage_;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string out = (upper.empty() ? "" : upper + " ") + "Profiler Report\n";
  if (actions_.empty()) return out;
  size_t width = std::string("Action").size();
  size_t calls = 0;
  std::vector<std::pair<std::string, Durations>> rows(actions_.begin(), actions_.end());
  for (const auto& [action, d] : rows) {
    width = std::max(width, action.size());
    calls += d.calls;
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.total > b.second.total; });
  auto row = [&](const std::string& action, const std::string& mean, const std::string& count, const std::string& total,
                 const std::string& share) {
    return fmt::format("\n|  {:<{}}  |  {:<17}  |  {:<9}  |  {:<14}  |  {:<12}  |", action, width, mean, count, total,
                       share);
  };
  const std::string header = row("Action", "Mean duration (s)", "Num calls", "Total time (s)", "Percentage %");
  std::string line(header.size(), '-');  // a newline, then dashes as wide as the header row
  line.front() = '\n';
  out += line + header + line;
  out += row("Total", "-", std::to_string(calls), python_short_float(stage_seconds), "100 %") + line;
  for (const auto& [action, d] : rows)
    out += row(action, python_short_float(d.total / static_cast<double>(d.calls)), std::to_string(d.calls),
               python_short_float(d.total), python_short_float(stage_seconds > 0 ? 100.0 * d.total / stage_seconds : 0.0));
  return out + line + "\n";
}

}  // namespace lighter::host
