// Whether a fit can resume from a checkpoint, checked right after reading it: a checkpoint of
// another optimizer, without optimizer state or with impossible counters is refused before
// anything runs (exit code 2, no run directory), instead of resuming silently or failing later.
#include <ATen/CPUGeneratorImpl.h>

#include <string>

#include "engine/checkpoint.hpp"
#include "engine/grad_scaler.hpp"

namespace lighter::host {

namespace fs = std::filesystem;

namespace {

// No real run counts this far; larger (or negative) counters would overflow once counted on.
constexpr int64_t kMaxCounter = int64_t{1} << 48;
constexpr const char* kWeightsOnly = " (use --weights_only to take only the weights)";

int64_t rng_state_size() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state().numel();
}

class ResumeCheck {
 public:
  ResumeCheck(Model& model, const Dict& checkpoint, const fs::path& file)
      : model_(model), checkpoint_(checkpoint), file_(file), lighter_model_(dynamic_cast<LighterModule*>(&model) != nullptr) {}

  // The 16-mixed loss scaler's state (Lightning's "MixedPrecision" entry), when there is one.
  void precision() const {
    const c10::IValue* state = checkpoint_.find(GradScaler::kCheckpointKey);
    if (!state) return;
    GradScaler scratch;
    try {
      scratch.load_state_dict(dict(*state, GradScaler::kCheckpointKey));
    } catch (const std::exception& e) {
      fail(std::string(GradScaler::kCheckpointKey) + ": " + e.what() + kWeightsOnly);
    }
  }

  void progress() {
    const int64_t epoch = counter(checkpoint_, "epoch", "epoch");
    counter(checkpoint_, "global_step", "global_step");
    const c10::IValue* value = checkpoint_.find("lighter");
    if (!value) return;  // a Lightning checkpoint, saved at an epoch's end
    const Dict lighter = dict(*value, "lighter");
    const int64_t next_epoch = counter(lighter, "next_epoch", "lighter.next_epoch");
    const int64_t batches_done = counter(lighter, "batches_done", "lighter.batches_done");
    const bool pending = flag(lighter, "scheduler_step_pending", "lighter.scheduler_step_pending");
    if (next_epoch != epoch && next_epoch != epoch + 1)
      fail("lighter.next_epoch is " + std::to_string(next_epoch) + " but epoch is " + std::to_string(epoch) + "; expected " +
           std::to_string(epoch) + " or " + std::to_string(epoch + 1) + kWeightsOnly);
    if (pending != (next_epoch == epoch + 1) || (pending && batches_done != 0))
      fail("its progress counters disagree (epoch " + std::to_string(epoch) + ", lighter.next_epoch " + std::to_string(next_epoch) +
           ", lighter.batches_done " + std::to_string(batches_done) + ")" + kWeightsOnly);
    const c10::IValue& rng = entry(lighter, "rng_state", "lighter.rng_state");
    if (!rng.isTensor() || rng.toTensor().scalar_type() != torch::kByte || rng.toTensor().numel() != rng_state_size())
      fail("lighter.rng_state is not a CPU random generator state (a uint8 tensor of " + std::to_string(rng_state_size()) +
           " bytes)" + kWeightsOnly);
    if (const c10::IValue* cuda = lighter.find("cuda_rng_state");
        cuda && (!cuda->isTensor() || cuda->toTensor().scalar_type() != torch::kByte))
      fail("lighter.cuda_rng_state is not a CUDA random generator state (a uint8 tensor)" + std::string(kWeightsOnly));
    for (const auto& [key, metric] : dict(entry(lighter, "callback_metrics", "lighter.callback_metrics"), "lighter.callback_metrics"))
      if (!metric.isDouble() && !metric.isInt()) fail("lighter.callback_metrics['" + key + "'] is a " + metric.tagKind() + ", not a number");
  }

  void optimizers_and_schedulers() {
    const c10::IValue* states = checkpoint_.find("optimizer_states");
    if (!states)
      fail("has no optimizer_states, so a fit cannot continue from it (saved with save_weights_only?)" + std::string(kWeightsOnly));
    const size_t saved = list(*states, "optimizer_states").size();
    OptimizerSetup setup;
    try {
      setup = model_.configure_optimizers();
    } catch (...) {
      return;  // the fit reports that itself, with its own message
    }
    const std::string target = setup.recipe ? setup.recipe->target() : setup.name;
    const size_t wanted = setup.optimizer ? 1 : 0;
    if (saved != wanted)
      fail("optimizer_states holds " + std::to_string(saved) + " optimizer states, but the config makes " + std::to_string(wanted) +
           " (" + name("optimizer") + " is " + target + ")" + kWeightsOnly);
    if (wanted == 1) optimizer_state(setup, target);
    schedulers(setup);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw CheckpointError(file_, message); }

  // "model::optimizer" for Lighter's models, which build it from that key.
  std::string name(const std::string& key) const { return lighter_model_ ? "model::" + key : "the model's " + key; }

  // `path` names the entry in messages: "lighter.next_epoch".
  const c10::IValue& entry(const Dict& dict, const std::string& key, const std::string& path) const {
    if (const c10::IValue* value = dict.find(key)) return *value;
    fail("has no " + path + " entry" + kWeightsOnly);
  }
  int64_t counter(const Dict& dict, const std::string& key, const std::string& where) const {
    const c10::IValue& value = entry(dict, key, where);
    if (!value.isInt()) fail(where + " is a " + value.tagKind() + "; expected a whole number" + kWeightsOnly);
    const int64_t n = value.toInt();
    if (n < 0 || n > kMaxCounter)
      fail(where + " is " + std::to_string(n) + "; expected a whole number from 0 to " + std::to_string(kMaxCounter) + kWeightsOnly);
    return n;
  }
  bool flag(const Dict& dict, const std::string& key, const std::string& where) const {
    const c10::IValue& value = entry(dict, key, where);
    if (!value.isBool()) fail(where + " is a " + value.tagKind() + "; expected a boolean" + kWeightsOnly);
    return value.toBool();
  }
  Dict dict(const c10::IValue& value, const std::string& where) const {
    if (!value.isGenericDict()) fail(where + " is a " + value.tagKind() + "; expected a dict" + kWeightsOnly);
    for (const auto& item : value.toGenericDict())
      if (!item.key().isString()) fail(where + " has a " + item.key().tagKind() + " key; expected names" + kWeightsOnly);
    return Dict::from_ivalue(value);
  }
  c10::List<c10::IValue> list(const c10::IValue& value, const std::string& where) const {
    if (!value.isList()) fail(where + " is a " + value.tagKind() + "; expected a list" + kWeightsOnly);
    return value.toList();
  }
  // What lighter recorded under lighter.<key> (its own checkpoints name the targets they saved).
  std::optional<std::string> recorded(const std::string& key) const {
    const c10::IValue* lighter = checkpoint_.find("lighter");
    if (!lighter || !lighter->isGenericDict()) return std::nullopt;
    const Dict entries = Dict::from_ivalue(*lighter);  // find() points into it: keep it alive
    const c10::IValue* names = entries.find(key);
    if (!names || !names->isList() || names->toList().size() != 1 || !names->toList().get(0).isString()) return std::nullopt;
    return names->toList().get(0).toStringRef();
  }

  // Loads the state into a scratch optimizer made like the fit's: every mismatch the plugin
  // finds (another optimizer, group or parameter counts, shapes) surfaces now.
  void optimizer_state(const OptimizerSetup& setup, const std::string& target) const {
    const std::string optimizer = name("optimizer");
    if (auto saved = recorded("optimizers"); saved && *saved != target)
      fail("optimizer_states[0] is " + *saved + " state, but " + optimizer + " is " + target + kWeightsOnly);
    if (!setup.recipe) fail("has optimizer state, but " + optimizer + " (" + target + ") cannot load it" + kWeightsOnly);
    const Dict state = dict(checkpoint_.at("optimizer_states").toList().get(0), "optimizer_states[0]");
    try {
      setup.recipe->load_state_dict(*setup.optimizer, state);
    } catch (const c10::Error& e) {
      fail("optimizer_states[0] does not fit " + optimizer + " (" + target + "): " + e.what_without_backtrace());
    } catch (const std::exception& e) {
      fail("optimizer_states[0] does not fit " + optimizer + " (" + target + "): " + e.what());
    }
  }

  void schedulers(const OptimizerSetup& setup) const {
    const c10::IValue* value = checkpoint_.find("lr_schedulers");
    const size_t saved = value ? list(*value, "lr_schedulers").size() : 0;
    const size_t wanted = setup.scheduler ? 1 : 0;
    if (saved == wanted) {
      if (wanted == 0) return;
      if (auto target = recorded("schedulers"); target && *target != setup.scheduler->target())
        fail("lr_schedulers[0] is " + *target + " state, but " + name("scheduler") + " is " + setup.scheduler->target() + kWeightsOnly);
      dict(value->toList().get(0), "lr_schedulers[0]");
      return;
    }
    if (wanted == 1)
      fail("has no lr_schedulers state, but " + name("scheduler") + " is " + setup.scheduler->target() + kWeightsOnly);
    fail("lr_schedulers holds " + std::to_string(saved) + " scheduler state(s), but the config has no scheduler" +
         (lighter_model_ ? " (model::scheduler)" : "") + kWeightsOnly);
  }

  Model& model_;
  const Dict& checkpoint_;
  const fs::path& file_;
  bool lighter_model_;
};

}  // namespace

void check_resumable(Model& model, const Dict& checkpoint, const fs::path& file, bool weights_only) {
  check_model_state(model, checkpoint, file);
  if (weights_only) return;
  ResumeCheck check(model, checkpoint, file);
  check.progress();
  check.precision();
  check.optimizers_and_schedulers();
}

}  // namespace lighter::host
