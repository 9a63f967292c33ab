#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include "support/python_reference.hpp"

#include <catch2/catch.hpp>
#include "support/ci.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace lighter::test {
// A tensor as a Python list literal (float32 values printed exactly enough to round-trip).
std::string py_list(const torch::Tensor& t) {
  if (t.dim() == 0) {
    std::ostringstream out;
    out.precision(9);
    out << t.item<double>();
    return out.str();
  }
  std::string out = "[";
  for (int64_t i = 0; i < t.size(0); ++i) out += (i ? ", " : "") + py_list(t[i]);
  return out + "]";
}

// The numbers a Python script prints, when /usr/bin/python3 has torch and numpy (else nullopt,
// with a warning).
std::optional<std::vector<double>> python_numbers(const std::string& script) {
  if (std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") != 0) {
    if (in_ci()) FAIL("/usr/bin/python3 with torch and numpy is missing, and CI=true needs it");
    WARN("no /usr/bin/python3 with torch and numpy: reference comparison skipped");
    return std::nullopt;
  }
  REQUIRE(script.find('\'') == std::string::npos);
  FILE* pipe = popen(("/usr/bin/python3 -c '" + script + "' 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string printed;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe)) printed += buffer;
  INFO(printed);
  REQUIRE(pclose(pipe) == 0);
  std::istringstream in(printed);
  std::vector<double> numbers;
  for (double x; in >> x;) numbers.push_back(x);
  return numbers;
}
}  // namespace lighter::test
