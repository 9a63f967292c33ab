#pragma once
// Checkpoints in Lightning's layout, written with torch::pickle_save so Python's torch.load
// reads them: {epoch, global_step, pytorch-lightning_version, state_dict, loops,
// optimizer_states, lr_schedulers, callbacks, hyper_parameters: {config}, lighter: {...}}.
#include <filesystem>
#include <optional>
#include <string>

#include "config/node.hpp"
#include "lighter/data.hpp"
#include "lighter/model.hpp"

namespace lighter::host {

// Where a fit stands, enough to continue exactly.
struct Progress {
  int64_t epoch = 0;          // the epoch being run (Lightning's `epoch`)
  int64_t global_step = 0;
  int64_t batches_done = 0;   // batches of `epoch` already trained; 0 at an epoch boundary
};

c10::IValue config_to_ivalue(const cfg::Node& node);

// Reads and checks a checkpoint file; a corrupt or foreign file is a clear runtime error.
Dict read_checkpoint(const std::filesystem::path& file);
void write_checkpoint(const std::filesystem::path& file, const Dict& checkpoint);

// The model's parameters and buffers under `prefix` + their names.
Dict model_state_dict(Model& model);
// Copies weights into the model; missing / unexpected keys and shape mismatches are errors
// naming the keys and both shapes.
void load_model_state(Model& model, const Dict& checkpoint, const std::filesystem::path& file);

// `last` / `best` -> the file in the newest run directory under `root` that has it; any
// other value is a path that must exist.
std::filesystem::path resolve_ckpt_path(const std::string& value, const std::filesystem::path& root);

}  // namespace lighter::host
