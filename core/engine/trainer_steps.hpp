#pragma once
// Small helpers of the trainer loops.
#include <fmt/format.h>

#include <map>
#include <string>

#include "lighter/data.hpp"

namespace lighter::host {

// "a=0.1234, b=5" with 4 significant digits, for progress and epoch lines.
inline std::string format_metrics(const std::map<std::string, double>& values) {
  std::string out;
  for (const auto& [k, v] : values) out += (out.empty() ? "" : ", ") + k + "=" + fmt::format("{:.4g}", v);
  return out;
}

// Runs a step method, adding where it failed; libtorch's errors lose their C++ backtrace.
template <class Step>
Dict run_step(const std::string& where, int64_t epoch, int64_t batch_idx, Step&& step) {
  try {
    return step();
  } catch (const c10::Error& e) {
    throw std::runtime_error(fmt::format("{} failed (epoch {}, batch {}): {}", where, epoch, batch_idx, e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{} failed (epoch {}, batch {}): {}", where, epoch, batch_idx, e.what()));
  }
}

}  // namespace lighter::host
