#include "engine/trainer.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "dist/ddp.hpp"
#include "dist/session.hpp"
#include "engine/interrupt.hpp"
#include "engine/model_summary.hpp"
#include "engine/start_time.hpp"
#include "engine/trainer_steps.hpp"
#include "internal.hpp"

namespace lighter::host {

namespace {

// Lightning's accelerator/devices rules; `local_rank` picks this process's device of the node's.
torch::Device choose_device(const TrainerOptions& o, int64_t local_rank) {
  const bool cuda_available = torch::cuda::is_available();
  if (o.accelerator == "cuda" && !cuda_available)
    throw ParamError("trainer::accelerator",
                     "\"" + o.accelerator + "\" was asked for, but no CUDA device is available (this libtorch " +
                         (torch::cuda::device_count() == 0 && !cuda_available ? "finds none" : "cannot use one") +
                         "); use \"auto\" or \"cpu\"");
  if (!o.cuda()) {
    if (!o.device_ids.empty())
      throw ParamError("trainer::devices", "a list of device ids selects GPUs, but the accelerator is the CPU; "
                                           "use a process count (devices = 2), or accelerator = \"cuda\"");
    o.devices_per_node();  // rejects -1 on the CPU
    return torch::kCPU;
  }
  const int64_t available = static_cast<int64_t>(torch::cuda::device_count());
  const int64_t id = o.device_ids.empty() ? local_rank : o.device_ids.at(static_cast<size_t>(local_rank));
  if (o.device_ids.empty() && o.devices_per_node() > available)
    throw ParamError("trainer::devices", "asks for " + std::to_string(o.devices_per_node()) +
                                             " CUDA devices; this machine has " + std::to_string(available));
  if (id >= available)
    throw ParamError("trainer::devices", "CUDA device " + std::to_string(id) + " does not exist; this machine has " +
                                             std::to_string(available) + " (ids 0 to " + std::to_string(available - 1) + ")");
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(id)};
}

}  // namespace

PlTrainer::PlTrainer(TrainerOptions options) : options_(std::move(options)) {
  device_ = choose_device(options_, 0);
  try {
    precision_ = make_precision(options_.precision, device_);
  } catch (const std::invalid_argument& e) {
    throw ParamError("trainer::precision", e.what());
  }
  if (options_.benchmark.value_or(false) && !device_.is_cuda())
    spdlog::debug("trainer::benchmark only affects cuDNN on CUDA devices");
  reporter_.set_enabled(options_.enable_progress_bar);
  if (options_.simple_profiler) profiler_ = std::make_unique<SimpleProfiler>();
}

PlTrainer::~PlTrainer() = default;

void PlTrainer::set_session(dist::Session* session) {
  session_ = session;
  if (!session_) return;
  device_ = choose_device(options_, session_->env().local_rank);
  precision_ = make_precision(options_.precision, device_);
  if (session_->rank() != 0) {
    // Lightning's loggers and progress bar are rank-zero only.
    options_.loggers.clear();
    reporter_.set_enabled(false);
  }
}

int64_t PlTrainer::global_rank() const { return session_ ? session_->rank() : 0; }
int64_t PlTrainer::world_size() const { return session_ ? session_->size() : 1; }

void PlTrainer::barrier() {
  if (session_) session_->barrier();
}

void PlTrainer::check_interrupt_all(bool last) {
  if (!session_) return check_interrupt();
  // The flags travel while the next step computes, so every rank stops after the same step,
  // one step after the signal; `last` (a loop's end) collects the one still travelling.
  if (session_->any_deferred(interrupt_requested(), last)) throw Interrupted();
}

std::map<std::string, double> PlTrainer::finish_epoch(LogStore::Loop loop) {
  if (!session_) return logs_.finish_epoch(loop);
  return logs_.finish_epoch(loop, [this](torch::Tensor& sums) { session_->all_reduce(sums, lighter::dist::ReduceOp::Sum); });
}

int64_t PlTrainer::batches(const DataLoader& loader, const BatchLimit& limit) const {
  const int64_t available = loader.num_batches();
  if (options_.fast_dev_run > 0) return std::min(options_.fast_dev_run, available);
  return limit.of(available);
}

Dict PlTrainer::to_device(const Dict& batch) const {
  const bool convert = precision_.weights.has_value();  // Lightning's convert_input for the "-true" modes
  if (device_.is_cpu() && !convert) return batch;
  Dict moved;
  for (const auto& [key, value] : batch) {
    if (!value.isTensor()) {
      moved.set(key, value);
      continue;
    }
    torch::Tensor tensor = value.toTensor();
    // From pinned memory the copy is asynchronous, as DataLoader(pin_memory=True) + .to(non_blocking=True).
    if (tensor.device() != device_) tensor = tensor.to(device_, /*non_blocking=*/tensor.is_pinned());
    if (convert && tensor.is_floating_point()) tensor = tensor.to(*precision_.weights);
    moved.set(key, tensor);
  }
  return moved;
}

std::string PlTrainer::when() const {
  if (sanity_checking_) return fmt::format("in the sanity check before epoch {}", progress_.epoch);
  if (stage_ == "fit") return fmt::format("at epoch {}, step {}", progress_.epoch, progress_.global_step);
  return "during " + stage_;
}

namespace {

std::string shapes_of(const Dict& batch) {
  std::string out;
  for (const auto& key : batch.keys()) {
    const c10::IValue* value = batch.find(key);
    std::string shape = value->isTensor() ? std::string(c10::toString(value->toTensor().scalar_type())) + " " +
                                                c10::str(value->toTensor().sizes())
                                          : value->tagKind();
    out += (out.empty() ? "" : ", ") + key + " " + shape;
  }
  return out.empty() ? "empty" : out;
}

}  // namespace

std::string PlTrainer::step_context(Model& model, const Dict& batch, int64_t batch_idx) const {
  std::string out = stage_ == "fit" && !sanity_checking_ ? fmt::format("at epoch {}, batch {}", progress_.epoch, batch_idx)
                                                         : fmt::format("{}, batch {}", when(), batch_idx);
  out += " (batch: " + shapes_of(batch);
  if (auto* lighter_model = dynamic_cast<LighterModule*>(&model)) {
    out += "; network " + lighter_model->network().target();
    if (lighter_model->criterion()) out += ", criterion " + lighter_model->criterion()->target();
  }
  return out + ")";
}

std::optional<Dict> PlTrainer::next_batch(DataLoader& loader) {
  return plugin_call(loader, "next (loading a batch)", [&] { return loader.next(); });
}

std::string PlTrainer::profile_action(const Object& object, const char* call) {
  const Kind kind = object.kind();
  const char* label = kind == Kind::Model        ? "LightningModule"
                      : kind == Kind::DataModule ? "LightningDataModule"
                      : kind == Kind::Callback   ? "Callback"
                                                 : kind_name(kind);
  std::string target = object.target();
  if (const size_t dot = target.rfind('.'); dot != std::string::npos) target.erase(0, dot + 1);
  return fmt::format("[{}]{}.{}", label, target, call);
}

void PlTrainer::begin_stage(const std::string& stage, Model& model, DataModule& data) {
  stage_ = stage;
  if (profiler_) profiler_->start(stage);
  should_stop_ = false;
  lighter::internal::set_pad_shards(stage != "predict");
  lighter::internal::set_current_device(device_);
  model_ = &model;
  // Unset: libtorch's own default (physical cores), as in PyTorch. More threads than that
  // spin-wait against OpenBLAS's pool and each other on small CPUs (tools/bench/README.md).
  if (options_.num_threads) torch::set_num_threads(static_cast<int>(*options_.num_threads));
  if (options_.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  if (device_.is_cuda()) {
    at::globalContext().setBenchmarkCuDNN(options_.benchmark.value_or(false));
    // What Lightning sets for deterministic runs on CUDA: cuBLAS then reproduces its results.
    if (options_.deterministic) ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  }
  model.attach(this);
  model.module().to(device_);
  if (precision_.weights) model.module().to(*precision_.weights);
  if (session_) dist::broadcast_module(*session_, model.module());  // DDP starts from rank 0's weights
  plugin_call(data, "setup", [&] { data.setup(stage); });
  call_hooks("setup", model, [&](Hooks& h) { h.setup(*this, model, stage); });
}

void PlTrainer::end_stage(Model& model) {
  ddp_.reset();
  call_hooks("teardown", model, [&](Hooks& h) { h.teardown(*this, model, stage_); });
  if (profiler_ && global_rank() == 0) spdlog::info("\n{}", profiler_->report());
  model.attach(nullptr);
  model_ = nullptr;
}

void PlTrainer::setup_optimization(Model& model, int64_t batches_per_epoch) {
  OptimizerSetup setup = plugin_call(model, "configure_optimizers", [&] { return model.configure_optimizers(); });
  if (!setup.optimizer) throw std::runtime_error(model.target() + "'s configure_optimizers() returned no optimizer");
  optimizer_ = setup.optimizer;
  optimizer_recipe_ = setup.recipe;
  optimizer_name_ = setup.name;
  scheduler_ = setup.scheduler;
  const int64_t per_epoch = (batches_per_epoch + options_.accumulate_grad_batches - 1) / options_.accumulate_grad_batches;
  const int64_t epochs = options_.effective_max_epochs();
  stepping_batches_ = options_.max_steps >= 0 ? options_.max_steps
                      : epochs > (int64_t{1} << 40) / std::max<int64_t>(per_epoch, 1) ? std::numeric_limits<int64_t>::max()
                                                                                        : per_epoch * epochs;
  if (options_.max_steps >= 0 && options_.max_epochs >= 0) stepping_batches_ = std::min(options_.max_steps, per_epoch * options_.max_epochs);
  if (scheduler_) scheduler_->attach(*optimizer_, stepping_batches_);
  if (precision_.loss_scaling) scaler_.emplace();
}

void PlTrainer::fit(Model& model, DataModule& data, const std::optional<Resume>& resume_from) {
  begin_stage("fit", model, data);
  guarded(model, [&] {
    try {
      fit_loop(model, data, resume_from);
    } catch (const Interrupted&) {
      reporter_.finish();
      if (!log_dir_.empty() && options_.fast_dev_run == 0) {
        save_checkpoint(log_dir_ / "checkpoints" / "last.ckpt");
        spdlog::warn("interrupted: saved {}", (log_dir_ / "checkpoints" / "last.ckpt").string());
      }
      throw;
    }
    return true;
  });
}

void PlTrainer::fit_loop(Model& model, DataModule& data, const std::optional<Resume>& resume_from) {
  auto train_loader = plugin_call(data, "train_dataloader", [&] { return data.train_dataloader(); });
  if (!train_loader) throw std::runtime_error("fit needs a train_dataloader: set data::train_dataloader");
  val_loader_ = plugin_call(data, "val_dataloader", [&] { return data.val_dataloader(); });
  setup_optimization(model, batches(*train_loader, options_.limit_train_batches));
  if (resume_from) {
    if (resume_from->weights_only) load_model_state(model, resume_from->checkpoint, resume_from->file);
    else restore(model, *resume_from);
  }
  if (session_) ddp_ = std::make_unique<dist::Ddp>(*session_, model.module(), options_.strategy.ddp);
  if (options_.enable_model_summary && global_rank() == 0) spdlog::info("\n{}", model_summary(model));
  call_hooks("on_fit_start", model, [&](Hooks& h) { h.on_fit_start(*this, model); });
  sanity_check(model);
  call_hooks("on_train_start", model, [&](Hooks& h) { h.on_train_start(*this, model); });
  if (scheduler_step_pending_) epoch_scheduler_step();
  while (progress_.epoch < options_.effective_max_epochs() && !should_stop_) {
    train_epoch(model, *train_loader);
    if (options_.max_steps >= 0 && progress_.global_step >= options_.max_steps) should_stop_ = true;
    if (session_) should_stop_ = session_->any(should_stop_);  // a stop asked on any rank stops all
  }
  if (session_ && !dist::replicas_identical(*session_, model.module()))
    throw std::runtime_error("DDP: the ranks' weights differ after training; a callback or the model changed "
                             "weights on some ranks only");
  call_hooks("on_train_end", model, [&](Hooks& h) { h.on_train_end(*this, model); });
  call_hooks("on_fit_end", model, [&](Hooks& h) { h.on_fit_end(*this, model); });
}

void PlTrainer::sanity_check(Model& model) {
  const int64_t steps = options_.fast_dev_run > 0 ? 0 : options_.num_sanity_val_steps;
  if (!val_loader_ || steps == 0) return;
  sanity_checking_ = true;
  call_hooks("on_sanity_check_start", model, [&](Hooks& h) { h.on_sanity_check_start(*this, model); });
  evaluate(model, *val_loader_, Eval::Validate, steps < 0 ? val_loader_->num_batches() : std::min(steps, val_loader_->num_batches()));
  call_hooks("on_sanity_check_end", model, [&](Hooks& h) { h.on_sanity_check_end(*this, model); });
  sanity_checking_ = false;
  logs_ = LogStore();  // Lightning discards what the sanity check logged
}

int64_t PlTrainer::val_check_batch() const {
  if (options_.fast_dev_run > 0) return epoch_batches_;
  if (options_.val_check_interval.count) return *options_.val_check_interval.count;
  return std::max<int64_t>(1, static_cast<int64_t>(options_.val_check_interval.fraction * static_cast<double>(epoch_batches_)));
}

bool PlTrainer::validation_due() const {
  if (!val_loader_) return false;
  if (options_.fast_dev_run > 0) return true;
  return (progress_.epoch + 1) % options_.check_val_every_n_epoch == 0 && batches(*val_loader_, options_.limit_val_batches) > 0;
}

void PlTrainer::train_epoch(Model& model, DataLoader& loader) {
  ProfileScope profile(profiler_.get(), "run_training_epoch");
  training_ = true;
  model.module().train();
  call_hooks("on_train_epoch_start", model, [&](Hooks& h) { h.on_train_epoch_start(*this, model); });
  epoch_batches_ = batches(loader, options_.limit_train_batches);
  training_step_name_ = model.target() + ".training_step";
  plugin_call(loader, "start_epoch", [&] { loader.start_epoch(progress_.epoch); });
  // A run resumed mid-epoch skips the batches it already trained on (same order: same seed).
  for (int64_t skipped = 0; skipped < progress_.batches_done; ++skipped) next_batch(loader);
  reporter_.start(fmt::format("epoch {}", progress_.epoch), epoch_batches_);
  while (progress_.batches_done < epoch_batches_) {
    if (options_.max_steps >= 0 && progress_.global_step >= options_.max_steps) break;
    auto next = next_batch(loader);
    if (!next) break;
    train_batch(model, to_device(*next), progress_.batches_done, epoch_batches_);
    if (validation_due() && progress_.batches_done % val_check_batch() == 0) {
      reporter_.finish();
      evaluate(model, *val_loader_, Eval::Validate, batches(*val_loader_, options_.limit_val_batches));
    }
    if (options_.max_steps >= 0 && progress_.global_step >= options_.max_steps) break;
    check_interrupt_all();
  }
  check_interrupt_all(/*last=*/true);
  reporter_.finish();
  throw_if_loss_was_nonfinite();
  scheduler_step_pending_ = true;
  training_ = true;
  for (auto& callback : options_.callbacks)
    if (!callback->monitors_metrics())
      plugin_call(*callback, "on_train_epoch_end", [&] { callback->on_train_epoch_end(*this, model); });
  plugin_call(model, "on_train_epoch_end", [&] { model.on_train_epoch_end(*this, model); });
  auto epoch_values = finish_epoch(LogStore::Train);
  send_to_loggers(epoch_values, progress_.epoch);
  for (auto& callback : options_.callbacks)
    if (callback->monitors_metrics())
      plugin_call(*callback, "on_train_epoch_end", [&] { callback->on_train_epoch_end(*this, model); });
  spdlog::info("epoch {} done ({} batches, step {}): {}", progress_.epoch, progress_.batches_done, progress_.global_step,
               format_metrics(epoch_values));
  epoch_scheduler_step();
  training_ = false;
  progress_.batches_done = 0;
  ++progress_.epoch;
}

void PlTrainer::train_batch(Model& model, const Dict& batch, int64_t batch_idx, int64_t total) {
  ProfileScope profile(profiler_.get(), "run_training_batch");
  call_hooks("on_train_batch_start", model, [&](Hooks& h) { h.on_train_batch_start(*this, model, batch, batch_idx); });
  const std::string& where = training_step_name_;
  const int64_t accumulate = options_.accumulate_grad_batches;
  const bool steps_now = (progress_.batches_done + 1) % accumulate == 0 || progress_.batches_done + 1 == total;
  if (ddp_) ddp_->before_forward(steps_now);  // DDP's no_sync on the micro-batches that do not step
  Dict outputs = normalize_outputs(
      run_step(model, "training_step", batch, batch_idx, [&] { return model.training_step(batch, batch_idx); }), where, true);
  torch::Tensor loss = loss_of(outputs, where);
  if (ddp_) ddp_->before_backward(loss, steps_now);
  if (!loss.requires_grad())
    throw std::runtime_error(where + " returned a loss that does not require grad (is every parameter frozen?)");
  if (!options_.skip_nonfinite_grad && !scaler_) check_loss(loss, batch_idx);  // with loss scaling, the scaler skips inf/NaN
  call_hooks("on_before_backward", model, [&](Hooks& h) { h.on_before_backward(*this, model, loss); });
  auto backward = [&] {
    torch::Tensor to_backward = accumulate > 1 ? loss / static_cast<double>(accumulate) : loss;
    (scaler_ ? scaler_->scale(to_backward) : to_backward).backward();
  };
  // Under DDP the backward pass also all-reduces the gradients: a failure there is a rank's.
  if (ddp_ && steps_now) session_->guard("the gradient all-reduce of the backward pass", backward);
  else plugin_call(model, "the backward pass of training_step's loss", backward);
  call_hooks("on_after_backward", model, [&](Hooks& h) { h.on_after_backward(*this, model); });
  ++progress_.batches_done;
  if (steps_now) optimizer_step(model);
  call_hooks("on_train_batch_end", model, [&](Hooks& h) { h.on_train_batch_end(*this, model, outputs, batch, batch_idx); });
  // Step values are read back (a GPU sync) only when they are written or printed.
  const LoggedValues step_values = logs_.take_step_values();
  const bool write = progress_.global_step % options_.log_every_n_steps == 0 && !step_values.empty() &&
                     !log_dir_.empty() && !options_.loggers.empty();
  const bool print = reporter_.due(progress_.batches_done);
  if (write || print) {
    throw_if_loss_was_nonfinite();
    const auto values = read_values(step_values);
    if (write) send_to_loggers(values, std::nullopt);
    if (print) reporter_.update(progress_.batches_done, format_metrics(values));
  }
}

void PlTrainer::check_loss(const torch::Tensor& loss, int64_t batch_idx) {
  const std::string& where = training_step_name_;
  if (!loss.is_cpu()) {
    const torch::Tensor bad = loss.detach().isfinite().logical_not().any();
    if (nonfinite_loss_.defined()) {
      nonfinite_loss_.logical_or_(bad);
    } else {
      nonfinite_loss_ = bad;
      nonfinite_since_ = progress_.global_step;
    }
    return;
  }
  const double value = loss.detach().item<double>();
  if (!std::isfinite(value))
    throw std::runtime_error(fmt::format(
        "{} returned a non-finite loss ({}) at epoch {}, batch {} (global step {}); the weights were not updated. "
        "Lower the learning rate or check the data, or set trainer::skip_nonfinite_grad = true to skip such steps",
        where, value, progress_.epoch, batch_idx, progress_.global_step));
}

void PlTrainer::throw_if_loss_was_nonfinite() {
  if (!nonfinite_loss_.defined()) return;
  const bool bad = nonfinite_loss_.item<bool>();
  nonfinite_loss_ = torch::Tensor();
  if (bad)
    throw std::runtime_error(fmt::format(
        "{} returned a non-finite loss at epoch {}, between global steps {} and {} (on a GPU the loss is checked when "
        "logged values are read, not at every step). Lower the learning rate or check the data, or set "
        "trainer::skip_nonfinite_grad = true to skip such steps",
        training_step_name_, progress_.epoch, nonfinite_since_, progress_.global_step));
}

void PlTrainer::optimizer_step(Model& model) {
  ProfileScope profile(profiler_.get(), "optimizer_step");
  // GradScaler: the hook and clipping see unscaled gradients (Lightning unscales first).
  const bool scaler_found_inf = scaler_ && scaler_->unscale(model.module().parameters());
  // Lightning's order: the hook sees the raw gradients, clipping follows.
  call_hooks("on_before_optimizer_step", model, [&](Hooks& h) { h.on_before_optimizer_step(*this, model, *optimizer_); });
  if (!scaler_ && options_.skip_nonfinite_grad && !gradients_finite(model)) {
    ++skipped_steps_;
    spdlog::warn("epoch {}, global step {}: a gradient is NaN or infinite; optimizer step skipped ({} skipped so far)",
                 progress_.epoch, progress_.global_step, skipped_steps_);
    optimizer_->zero_grad();
    return;
  }
  if (options_.gradient_clip_val && *options_.gradient_clip_val > 0 && !scaler_found_inf) {
    auto params = model.module().parameters();
    if (options_.gradient_clip_algorithm == "value") {
      torch::nn::utils::clip_grad_value_(params, *options_.gradient_clip_val);
    } else {
      const double norm = torch::nn::utils::clip_grad_norm_(params, *options_.gradient_clip_val);
      log("train/grad_norm/step", norm, {/*on_step=*/true, /*on_epoch=*/false});
    }
  }
  // GradScaler.step: a step with inf/NaN gradients is skipped, the scale backs off; Lightning
  // still counts it as an optimizer step (global_step, schedulers).
  if (scaler_found_inf) {
    ++skipped_steps_;
    spdlog::debug("global step {}: inf/NaN gradients at loss scale {}; optimizer step skipped", progress_.global_step,
                  scaler_->scale_value());
  } else {
    optimizer_->step();
  }
  if (scaler_) scaler_->update();
  call_hooks("on_before_zero_grad", model, [&](Hooks& h) { h.on_before_zero_grad(*this, model, *optimizer_); });
  optimizer_->zero_grad();
  ++progress_.global_step;
  if (!first_step_logged_) {
    first_step_logged_ = true;
    spdlog::debug("first optimizer step done {:.3f} s after the host started", seconds_since_start());
  }
  if (scheduler_ && scheduler_->interval() == "step") plugin_call(*scheduler_, "step", [&] { scheduler_->step(std::nullopt); });
}

bool PlTrainer::gradients_finite(Model& model) const {
  for (const auto& p : model.module().parameters())
    if (p.grad().defined() && !torch::isfinite(p.grad()).all().item<bool>()) return false;
  return true;
}

void PlTrainer::epoch_scheduler_step() {
  scheduler_step_pending_ = false;
  if (!scheduler_ || scheduler_->interval() != "epoch") return;
  std::optional<double> metric;
  if (!scheduler_->monitor().empty()) {
    auto it = callback_metrics().find(scheduler_->monitor());
    if (it == callback_metrics().end()) {
      std::string known;
      for (const auto& [key, value] : callback_metrics()) known += (known.empty() ? "'" : ", '") + key + "'";
      throw std::runtime_error("the scheduler monitors '" + scheduler_->monitor() + "', which was not logged (logged: " +
                               (known.empty() ? "nothing" : known) + ")");
    }
    metric = it->second;
  }
  plugin_call(*scheduler_, "step", [&] { scheduler_->step(metric); });
}

}  // namespace lighter::host
