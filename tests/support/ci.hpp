#pragma once
// Checks that need a tool (Python with torch, a data set, mount namespaces, ...): under CI=true a
// missing tool fails the test; elsewhere the check is skipped with a warning.
#include <cstdlib>
#include <string>

namespace lighter::test {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

}  // namespace lighter::test

// Use inside a TEST_CASE: returns from it (or fails it under CI=true) when `available` is false.
#define LIGHTER_REQUIRE_TOOL(available, what)                                                      \
  do {                                                                                             \
    if (!(available)) {                                                                            \
      if (::lighter::test::in_ci()) FAIL(std::string(what) + " is missing, and CI=true needs it"); \
      WARN(std::string(what) + " is missing: check skipped");                                     \
      return;                                                                                      \
    }                                                                                              \
  } while (false)
