// Checkpoints (save and restore) and the loggers.
#include <spdlog/spdlog.h>

#include "engine/trainer.hpp"

namespace lighter::host {

namespace {

constexpr const char* kLightningVersion = "2.1.0";

Dict metrics_dict(const std::map<std::string, double>& metrics) {
  Dict out;
  for (const auto& [key, value] : metrics) out.set(key, value);
  return out;
}

// torch.get_rng_state() / torch.cuda.get_rng_state(device), through the generic Context so
// CPU-only builds link.
torch::Tensor rng_state(const torch::Device& device) {
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_rng_state(const torch::Device& device, const torch::Tensor& state) {
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

}  // namespace

void PlTrainer::set_log_dir(std::filesystem::path dir, const std::string& config_toml) {
  log_dir_ = std::move(dir);
  for (auto& logger : options_.loggers) {
    plugin_call(*logger, "set_run_dir", [&] { logger->set_run_dir(log_dir_); });
    plugin_call(*logger, "log_hyperparams", [&] { logger->log_hyperparams(config_toml); });
  }
}

void PlTrainer::send_to_loggers(const std::map<std::string, double>& values, std::optional<int64_t> epoch) {
  if (values.empty() || log_dir_.empty()) return;
  for (auto& logger : options_.loggers)
    plugin_call(*logger, "log_metrics", [&] { logger->log_metrics(values, progress_.global_step, epoch); });
}

void PlTrainer::finalize(const std::string& status) {
  if (log_dir_.empty()) return;
  for (auto& logger : options_.loggers) plugin_call(*logger, "finalize", [&] { logger->finalize(status); });
}

void PlTrainer::save_checkpoint(const std::filesystem::path& file, bool weights_only) {
  if (!model_) throw std::runtime_error("save_checkpoint called outside a running stage");
  throw_if_loss_was_nonfinite();  // never a checkpoint of weights a non-finite loss has reached
  Model& model = *model_;
  // At an epoch's end the epoch counts as trained; a resumed run starts with the next one
  // after taking the epoch's pending scheduler step.
  const bool epoch_trained = scheduler_step_pending_ || (epoch_batches_ > 0 && progress_.batches_done >= epoch_batches_);
  Dict checkpoint;
  checkpoint.set("epoch", progress_.epoch);
  checkpoint.set("global_step", progress_.global_step);
  checkpoint.set("pytorch-lightning_version", kLightningVersion);
  checkpoint.set("state_dict", model_state_dict(model).to_ivalue());
  Dict fit_loop;
  fit_loop.set("epoch_progress", Dict{{"current", Dict{{"completed", progress_.epoch + (epoch_trained ? 1 : 0)}}.to_ivalue()}}.to_ivalue());
  checkpoint.set("loops", Dict{{"fit_loop", fit_loop.to_ivalue()}}.to_ivalue());
  checkpoint.set("hyper_parameters", Dict{{"config", config_}}.to_ivalue());
  if (!weights_only) {
    c10::impl::GenericList optimizers(c10::AnyType::get());
    if (optimizer_ && optimizer_recipe_) optimizers.push_back(optimizer_recipe_->state_dict(*optimizer_).to_ivalue());
    checkpoint.set("optimizer_states", optimizers);
    c10::impl::GenericList schedulers(c10::AnyType::get());
    if (scheduler_) schedulers.push_back(scheduler_->state_dict().to_ivalue());
    checkpoint.set("lr_schedulers", schedulers);
    Dict callbacks;
    for (auto& callback : options_.callbacks) callbacks.set(callback->state_key(), callback->state_dict().to_ivalue());
    checkpoint.set("callbacks", callbacks.to_ivalue());
    if (scaler_) checkpoint.set(GradScaler::kCheckpointKey, scaler_->state_dict().to_ivalue());
    Dict lighter;
    lighter.set("next_epoch", progress_.epoch + (epoch_trained ? 1 : 0));
    lighter.set("batches_done", epoch_trained ? int64_t{0} : progress_.batches_done);
    lighter.set("scheduler_step_pending", epoch_trained);
    lighter.set("rng_state", rng_state(torch::kCPU));
    if (device_.is_cuda()) lighter.set("cuda_rng_state", rng_state(device_));
    lighter.set("callback_metrics", metrics_dict(callback_metrics()).to_ivalue());
    // The targets whose states these are: a resume into another optimizer or scheduler is refused.
    c10::impl::GenericList optimizer_targets(c10::StringType::get()), scheduler_targets(c10::StringType::get());
    if (optimizer_ && optimizer_recipe_) optimizer_targets.push_back(optimizer_recipe_->target());
    if (scheduler_) scheduler_targets.push_back(scheduler_->target());
    lighter.set("optimizers", optimizer_targets);
    lighter.set("schedulers", scheduler_targets);
    checkpoint.set("lighter", lighter.to_ivalue());
  }
  call_hooks("on_save_checkpoint", model, [&](Hooks& h) { h.on_save_checkpoint(*this, model, checkpoint); });
  for (auto& logger : options_.loggers) logger->flush();
  if (global_rank() == 0) {  // every rank holds the same state; rank 0 writes it
    write_checkpoint(file, checkpoint);
    spdlog::debug("saved checkpoint {}", file.string());
  }
  barrier();  // the file exists for every rank once save_checkpoint returns
}

void PlTrainer::restore(Model& model, const Resume& resume) {
  const Dict& checkpoint = resume.checkpoint;
  load_model_state(model, checkpoint, resume.file);
  auto list_of = [&](const char* key) {
    const c10::IValue* value = checkpoint.find(key);
    return value && value->isList() ? value->toList() : c10::impl::GenericList(c10::AnyType::get());
  };
  auto optimizers = list_of("optimizer_states");
  if (!optimizers.empty()) {
    if (!optimizer_recipe_) throw std::runtime_error(resume.file.string() + " has optimizer state, but the model's optimizer cannot load it");
    plugin_call(*optimizer_recipe_, "load_state_dict",
                [&] { optimizer_recipe_->load_state_dict(*optimizer_, Dict::from_ivalue(optimizers.get(0))); });
  }
  auto schedulers = list_of("lr_schedulers");
  if (!schedulers.empty() && scheduler_)
    plugin_call(*scheduler_, "load_state_dict", [&] { scheduler_->load_state_dict(Dict::from_ivalue(schedulers.get(0))); });
  if (const c10::IValue* saved = checkpoint.find("callbacks"); saved && saved->isGenericDict()) {
    const Dict states = Dict::from_ivalue(*saved);
    for (auto& callback : options_.callbacks)
      if (const c10::IValue* state = states.find(callback->state_key()))
        plugin_call(*callback, "load_state_dict", [&] { callback->load_state_dict(Dict::from_ivalue(*state)); });
  }
  if (scaler_) {
    if (const c10::IValue* state = checkpoint.find(GradScaler::kCheckpointKey); state && state->isGenericDict()) {
      try {
        scaler_->load_state_dict(Dict::from_ivalue(*state));
      } catch (const std::exception& e) {
        throw CheckpointError(resume.file, std::string(GradScaler::kCheckpointKey) + ": " + e.what());
      }
    }
  }
  progress_.global_step = checkpoint.at("global_step").toInt();
  if (const c10::IValue* saved = checkpoint.find("lighter"); saved && saved->isGenericDict()) {
    const Dict lighter = Dict::from_ivalue(*saved);
    progress_.epoch = lighter.at("next_epoch").toInt();
    progress_.batches_done = lighter.at("batches_done").toInt();
    scheduler_step_pending_ = lighter.at("scheduler_step_pending").toBool();
    set_rng_state(torch::kCPU, lighter.tensor("rng_state"));
    if (const c10::IValue* cuda_state = lighter.find("cuda_rng_state"); cuda_state && cuda_state->isTensor()) {
      if (device_.is_cuda()) set_rng_state(device_, cuda_state->toTensor());
      else spdlog::debug("{} holds a CUDA RNG state; this run is on the CPU and does not use it", resume.file.string());
    }
    std::map<std::string, double> metrics;
    for (const auto& [key, value] : Dict::from_ivalue(lighter.at("callback_metrics"))) metrics[key] = value.toDouble();
    logs_.set_callback_metrics(std::move(metrics));
  } else {
    progress_.epoch = checkpoint.at("epoch").toInt() + 1;  // a Lightning checkpoint saved at an epoch's end
  }
  call_hooks("on_load_checkpoint", model, [&](Hooks& h) { h.on_load_checkpoint(*this, model, checkpoint); });
  spdlog::info("resuming at epoch {} (step {}, {} batches into the epoch)", progress_.epoch, progress_.global_step,
               progress_.batches_done);
}

}  // namespace lighter::host
