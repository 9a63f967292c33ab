#pragma once
// One `lighter-host <stage>` invocation: compose the config, load plugins, build model, data
// and trainer, create the run directory and run the stage (Lighter's Runner).
#include <optional>
#include <string>
#include <vector>

namespace lighter::host {

// Command-line flags; each set flag overrides `args::<stage>::<flag>` from the config.
struct StageFlags {
  std::optional<std::string> ckpt_path;
  std::optional<bool> weights_only, verbose, return_predictions;
  bool print_config = false;
  std::optional<std::string> print_format;  // "toml" | "yaml"; default: the first file's format
  bool dry_run = false;
};

// Runs the stage; returns the process exit code. Throws cfg::ConfigError / PluginError for
// bad input (exit 2) and other exceptions for runtime failures (exit 1).
int run_stage(const std::string& stage, const std::vector<std::string>& inputs, const StageFlags& flags);

}  // namespace lighter::host
