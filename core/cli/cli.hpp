#pragma once
// `lighter-host` command line (SPEC §1). Returns the process exit code:
// 0 success, 2 usage or config error, 1 runtime failure, 130 interrupted.
#include <string>
#include <vector>

namespace lighter::host {

enum ExitCode { kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitInterrupted = 130 };

int run_cli(const std::vector<std::string>& args);

}  // namespace lighter::host
