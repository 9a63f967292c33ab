#pragma once
// `lighter-host` command line (SPEC §1). Returns the process exit code:
//   0    success.
//   2    usage or config error: nothing was run and nothing was written. Anything that fails
//        while reading the command line and the config, loading plugins, or building and
//        checking the components from the config (a factory that throws included: the message
//        names the key path and _target_), all before the run directory is created.
//   1    runtime failure: anything that fails after the run started.
//   130  stopped by SIGINT or SIGTERM, whenever it arrives (before the run: nothing written).
// Every error is one line on stderr; no exception escapes.
#include <string>
#include <vector>

namespace lighter::host {

enum ExitCode { kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitInterrupted = 130 };

int run_cli(const std::vector<std::string>& args);

}  // namespace lighter::host
