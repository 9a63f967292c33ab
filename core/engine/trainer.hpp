#pragma once
// The trainer behind `pytorch_lightning.Trainer`: Lightning's loops and hook order over the
// SDK's Model / DataModule / Callback / Logger interfaces, plus checkpoints and resuming.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/checkpoint.hpp"
#include "engine/grad_scaler.hpp"
#include "engine/interrupt.hpp"
#include "engine/log_store.hpp"
#include "engine/precision.hpp"
#include "engine/profiler.hpp"
#include "engine/progress.hpp"
#include "engine/trainer_options.hpp"
#include "lighter/logger.hpp"
#include "lighter/model.hpp"
#include "plugins/boundary.hpp"

namespace lighter::host {

namespace dist {
class Ddp;
class Session;
}  // namespace dist

class PlTrainer : public lighter::Trainer {
 public:
  explicit PlTrainer(TrainerOptions options);
  ~PlTrainer() override;

  // Joins a multi-process run (DDP): this rank's device, rank 0 alone writes logs and shows
  // progress, and the stages train through `session`, which must outlive the stages.
  void set_session(dist::Session* session);

  const TrainerOptions& options() const { return options_; }
  const torch::Device& device() const { return device_; }
  const Precision& precision() const { return precision_; }
  // Where this run writes (lighter_logs/version_N; never set for fast_dev_run / dry runs);
  // the loggers get it and the run's config.
  void set_log_dir(std::filesystem::path dir, const std::string& config_toml);
  // The run's config, stored in checkpoints as hyper_parameters.config.
  void set_config(c10::IValue config) { config_ = std::move(config); }
  void add_callback(std::shared_ptr<Callback> callback) { options_.callbacks.push_back(std::move(callback)); }
  void add_logger(std::shared_ptr<Logger> logger) { options_.loggers.push_back(std::move(logger)); }

  // A checkpoint to continue from (weights, optimizer, progress, RNG, callbacks) or, with
  // `weights_only`, to take only the weights from; `file` names it in messages.
  struct Resume {
    Dict checkpoint;
    std::filesystem::path file;
    bool weights_only = false;
  };
  void fit(Model& model, DataModule& data, const std::optional<Resume>& resume_from = std::nullopt);
  std::map<std::string, double> validate(Model& model, DataModule& data);
  std::map<std::string, double> test(Model& model, DataModule& data);
  std::vector<Dict> predict(Model& model, DataModule& data, bool return_predictions);
  // Finishes the loggers ("success", "failed", "interrupted").
  void finalize(const std::string& status);

  // lighter::Trainer
  const std::string& stage() const override { return stage_; }
  bool training() const override { return training_; }
  bool sanity_checking() const override { return sanity_checking_; }
  int64_t current_epoch() const override { return progress_.epoch; }
  int64_t global_step() const override { return progress_.global_step; }
  int64_t max_epochs() const override { return options_.effective_max_epochs(); }
  std::filesystem::path log_dir() const override { return log_dir_; }
  const std::map<std::string, double>& callback_metrics() const override { return logs_.callback_metrics(); }
  void log(const std::string& key, double value, const LogOptions& options) override {
    logs_.log(key, value, options, training_ ? LogStore::Train : LogStore::Eval);
  }
  void log_tensor(const std::string& key, const torch::Tensor& value, const LogOptions& options) override {
    logs_.log(key, value, options, training_ ? LogStore::Train : LogStore::Eval);
  }
  void request_stop() override { should_stop_ = true; }
  bool should_stop() const override { return should_stop_; }
  torch::optim::Optimizer* optimizer() override { return optimizer_.get(); }
  std::string optimizer_name() const override { return optimizer_name_; }
  int64_t estimated_stepping_batches() const override { return stepping_batches_; }
  void save_checkpoint(const std::filesystem::path& file, bool weights_only = false) override;
  bool fast_dev_run() const override { return options_.fast_dev_run > 0; }
  int64_t global_rank() const override;
  int64_t world_size() const override;
  void barrier() override;

 private:
  enum class Eval { Validate, Test };

  void begin_stage(const std::string& stage, Model& model, DataModule& data);
  void end_stage(Model& model);
  template <class Body>
  auto guarded(Model& model, Body&& body) -> decltype(body());
  std::vector<Dict> predict_epoch(Model& model, DataModule& data, bool return_predictions);
  void fit_loop(Model& model, DataModule& data, const std::optional<Resume>& resume_from);
  // Calls hook `name` on every callback, then the model (Lightning's order).
  template <class Hook>
  void call_hooks(const char* name, Model& model, Hook&& hook);
  template <class Hook>
  void call_hooks(Model& model, Hook&& hook) { call_hooks("a hook", model, std::forward<Hook>(hook)); }
  // Runs a call into `object`'s plugin code: whatever it throws names the plugin, the
  // component, `call` and when().
  template <class Body>
  auto plugin_call(const Object& object, const char* call, Body&& body) -> decltype(body()) {
    ProfileScope profile(profiler_.get(), profiler_ ? profile_action(object, call) : std::string());
    return call_plugin(object, call, [this] { return when(); }, std::forward<Body>(body));
  }
  static std::string profile_action(const Object& object, const char* call);  // "[Callback]EarlyStopping.on_..."
  // A step method of the model; failures also show the batch's shapes.
  template <class Step>
  Dict run_step(Model& model, const char* step, const Dict& batch, int64_t batch_idx, Step&& body);
  std::string when() const;  // "at epoch 0, step 3", for messages
  std::string step_context(Model& model, const Dict& batch, int64_t batch_idx) const;
  std::optional<Dict> next_batch(DataLoader& loader);
  void setup_optimization(Model& model, int64_t batches_per_epoch);
  void restore(Model& model, const Resume& resume);
  void sanity_check(Model& model);
  void train_epoch(Model& model, DataLoader& loader);
  void train_batch(Model& model, const Dict& batch, int64_t batch_idx, int64_t total);
  void optimizer_step(Model& model);
  void epoch_scheduler_step();
  bool gradients_finite(Model& model) const;
  // A non-finite loss stops the run. On the CPU it is checked at once; on a GPU a flag collects
  // on the device and is read with the logged values (throw_if_loss_was_nonfinite), so the step
  // does not wait for the GPU.
  void check_loss(const torch::Tensor& loss, int64_t batch_idx);
  void throw_if_loss_was_nonfinite();
  std::map<std::string, double> evaluate(Model& model, DataLoader& loader, Eval eval, int64_t max_batches);
  bool validation_due() const;
  int64_t val_check_batch() const;  // training batches between validations
  int64_t batches(const DataLoader& loader, const BatchLimit& limit) const;
  Dict to_device(const Dict& batch) const;
  // check_interrupt() agreed by every rank, so all stop after the same step.
  void check_interrupt_all(bool last = false);
  std::map<std::string, double> finish_epoch(LogStore::Loop loop);
  void send_to_loggers(const std::map<std::string, double>& values, std::optional<int64_t> epoch);

  TrainerOptions options_;
  torch::Device device_{torch::kCPU};
  Precision precision_;
  std::optional<GradScaler> scaler_;  // 16-mixed
  std::filesystem::path log_dir_;
  c10::IValue config_;
  std::string stage_;
  bool training_ = false;
  bool sanity_checking_ = false;
  bool should_stop_ = false;
  Progress progress_;
  int64_t epoch_batches_ = 0;          // batches in the current training epoch
  bool scheduler_step_pending_ = false;  // epoch trained, its epoch-interval scheduler step not yet taken
  bool first_step_logged_ = false;
  std::string training_step_name_;  // for messages, built once per epoch
  int64_t skipped_steps_ = 0;       // optimizer steps skipped for non-finite gradients (skip_nonfinite_grad)
  torch::Tensor nonfinite_loss_;    // on the device: a loss since nonfinite_since_ was inf/NaN
  int64_t nonfinite_since_ = 0;
  int64_t stepping_batches_ = 0;
  LogStore logs_;
  ProgressReporter reporter_;
  Model* model_ = nullptr;
  std::shared_ptr<torch::optim::Optimizer> optimizer_;
  std::shared_ptr<const Optimizer> optimizer_recipe_;
  std::string optimizer_name_;
  std::shared_ptr<Scheduler> scheduler_;
  std::shared_ptr<DataLoader> val_loader_;
  dist::Session* session_ = nullptr;
  std::unique_ptr<dist::Ddp> ddp_;  // while fit trains on several ranks
  std::unique_ptr<SimpleProfiler> profiler_;  // profiler = "simple"
};

template <class Hook>
void PlTrainer::call_hooks(const char* name, Model& model, Hook&& hook) {
  for (auto& callback : options_.callbacks) plugin_call(*callback, name, [&] { hook(static_cast<Hooks&>(*callback)); });
  plugin_call(model, name, [&] { hook(static_cast<Hooks&>(model)); });
}

template <class Step>
Dict PlTrainer::run_step(Model& model, const char* step, const Dict& batch, int64_t batch_idx, Step&& body) {
  // Lightning's precision plugin: the step (forward and loss) runs under autocast, backward does not.
  AutocastScope autocast(precision_, device_);
  ProfileScope profile(profiler_.get(), profiler_ ? profile_action(model, step) : std::string());
  return call_plugin(model, step, [&] { return step_context(model, batch, batch_idx); }, std::forward<Step>(body));
}

// The step's outputs as a Dict with `loss` (Lighter's normalisation; throws on a missing
// `total` in a loss table).
Dict normalize_outputs(const Dict& outputs, const std::string& where, bool loss_required);

// Runs a stage's body; when it fails, callbacks get on_exception (not for an interrupt) and the
// stage still ends (teardown), so writers can remove what they had started. A hook that fails
// while the stage is failing is reported as a warning: the first error is the one that counts.
template <class Body>
auto PlTrainer::guarded(Model& model, Body&& body) -> decltype(body()) {
  auto end_after_failure = [&](const std::exception* error) {
    reporter_.finish();
    try {
      if (error) call_hooks("on_exception", model, [&](Hooks& h) { h.on_exception(*this, model, *error); });
      end_stage(model);
    } catch (...) {
      spdlog::warn("while the stage was ending after a failure: {}", current_exception_text());
      model.attach(nullptr);
      model_ = nullptr;
    }
  };
  auto result = [&] {
    try {
      return body();
    } catch (const Interrupted&) {
      end_after_failure(nullptr);
      throw;
    } catch (const std::exception& e) {
      end_after_failure(&e);
      throw;
    }
  }();
  end_stage(model);
  return result;
}

}  // namespace lighter::host
