#pragma once
// Checkpoints in Lightning's layout, written with torch::pickle_save so Python's torch.load
// reads them: {epoch, global_step, pytorch-lightning_version, state_dict, loops,
// optimizer_states, lr_schedulers, callbacks, hyper_parameters: {config}, lighter: {...}}.
#include <filesystem>
#include <optional>
#include <string>

#include "config/node.hpp"
#include "lighter/args.hpp"
#include "lighter/data.hpp"
#include "lighter/model.hpp"

namespace lighter::host {

// Where a fit stands, enough to continue exactly.
struct Progress {
  int64_t epoch = 0;          // the epoch being run (Lightning's `epoch`)
  int64_t global_step = 0;
  int64_t batches_done = 0;   // batches of `epoch` already trained; 0 at an epoch boundary
};

// A checkpoint that cannot be used as asked: damaged, foreign, or not matching the config. It
// is found before anything runs, so it is a usage error (exit code 2):
//   error: checkpoint runs/last.ckpt: optimizer_states[0] is torch.optim.SGD state, but ...
class CheckpointError : public ParamError {
 public:
  CheckpointError(const std::filesystem::path& file, const std::string& message)
      : ParamError("checkpoint " + file.string(), message) {}
};

c10::IValue config_to_ivalue(const cfg::Node& node);

// Reads and checks a checkpoint file (zip structure, CRC-32 of every record, a dict with a
// state_dict); a damaged or foreign file is a CheckpointError.
Dict read_checkpoint(const std::filesystem::path& file);
// Writes through a temp file (see lighter/atomic_file.hpp); errors name the cause from errno.
void write_checkpoint(const std::filesystem::path& file, const Dict& checkpoint);

// The model's parameters and buffers under `prefix` + their names.
Dict model_state_dict(Model& model);
// Copies weights into the model; missing / unexpected keys and shape mismatches are
// CheckpointErrors naming the file, the keys and both shapes.
void load_model_state(Model& model, const Dict& checkpoint, const std::filesystem::path& file);
// The same checks without changing the model.
void check_model_state(Model& model, const Dict& checkpoint, const std::filesystem::path& file);

// Checks, before anything runs, that `fit` can resume from `checkpoint` (or, with
// `weights_only`, take its weights): weights, progress counters, RNG state, and optimizer and
// scheduler states of the kind and size the config makes. Throws CheckpointError.
void check_resumable(Model& model, const Dict& checkpoint, const std::filesystem::path& file, bool weights_only);

// `last` / `best` -> the file in the newest run directory under `root` that has it; any
// other value is a path that must exist.
std::filesystem::path resolve_ckpt_path(const std::string& value, const std::filesystem::path& root);

}  // namespace lighter::host
