#pragma once
// `args::<stage>` — the keyword arguments of Trainer.fit/validate/test/predict.
#include <optional>
#include <string>

#include "config/node.hpp"
#include "engine/runner.hpp"

namespace lighter::host {

struct StageArgs {
  std::optional<std::string> ckpt_path;
  bool weights_only = false;
  bool verbose = true;
  bool return_predictions = true;
};

// Writes the set flags into `root` at args::<stage>::*, so printed and saved configs show them.
void apply_flags(cfg::Node& root, const std::string& stage, const StageFlags& flags);
// Validates `args` (known stages, known keys per stage, types) and reads this stage's values.
StageArgs read_stage_args(const cfg::Node& root, const std::string& stage);

}  // namespace lighter::host
