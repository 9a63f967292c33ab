#include "engine/trainer.hpp"

#include "engine/interrupt.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace lighter::host {

namespace {

std::string fmt_metrics(const std::map<std::string, double>& values) {
  std::string out;
  for (const auto& [k, v] : values) out += (out.empty() ? "" : ", ") + k + "=" + fmt::format("{:.4g}", v);
  return out;
}

// Runs a step method, adding where it failed; libtorch's errors lose their C++ backtrace.
template <class Step>
Dict run_step(const std::string& where, int64_t epoch, int64_t batch_idx, Step&& step) {
  try {
    return step();
  } catch (const c10::Error& e) {
    throw std::runtime_error(fmt::format("{} failed (epoch {}, batch {}): {}", where, epoch, batch_idx, e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{} failed (epoch {}, batch {}): {}", where, epoch, batch_idx, e.what()));
  }
}

}  // namespace

Dict normalize_outputs(const Dict& outputs, const std::string& where, bool loss_required) {
  if (loss_required || outputs.contains("loss")) loss_of(outputs, where);  // validates the loss table
  return outputs;
}

PlTrainer::PlTrainer(TrainerOptions options) : options_(std::move(options)) {
  const bool cuda = torch::cuda::is_available();
  if (options_.accelerator == "cuda" && !cuda)
    throw ParamError("trainer::accelerator", "\"cuda\" was asked for, but no CUDA device is available; use \"auto\" or \"cpu\"");
  if (options_.accelerator == "cuda" || (options_.accelerator == "auto" && cuda)) device_ = torch::Device(torch::kCUDA);
}

template <class Hook>
void PlTrainer::call_hooks(Model& model, Hook&& hook) {
  for (auto& callback : options_.callbacks) hook(static_cast<Hooks&>(*callback));
  hook(static_cast<Hooks&>(model));
}

int64_t PlTrainer::batches(const DataLoader& loader, const BatchLimit& limit) const {
  const int64_t available = loader.num_batches();
  if (options_.fast_dev_run > 0) return std::min(options_.fast_dev_run, available);
  return limit.of(available);
}

Dict PlTrainer::to_device(const Dict& batch) const {
  if (device_.is_cpu()) return batch;
  Dict moved;
  for (const auto& [key, value] : batch) moved.set(key, value.isTensor() ? c10::IValue(value.toTensor().to(device_)) : value);
  return moved;
}

void PlTrainer::begin_stage(const std::string& stage, Model& model, DataModule& data) {
  stage_ = stage;
  should_stop_ = false;
  const int64_t threads = options_.num_threads.value_or(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(static_cast<int>(threads));
  if (options_.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  model.attach(this);
  model.module().to(device_);
  data.setup(stage);
  call_hooks(model, [&](Hooks& h) { h.setup(*this, model, stage); });
}

void PlTrainer::end_stage(Model& model) {
  call_hooks(model, [&](Hooks& h) { h.teardown(*this, model, stage_); });
  model.attach(nullptr);
}

void PlTrainer::report_progress(const std::string& what, int64_t done, int64_t total) {
  if (!options_.enable_progress_bar) return;
  spdlog::info("{} {}/{}", what, done, total);
}

void PlTrainer::fit(Model& model, DataModule& data) {
  begin_stage("fit", model, data);
  try {
    auto train_loader = data.train_dataloader();
    if (!train_loader) throw std::runtime_error("fit needs a train_dataloader: set data::train_dataloader");
    val_loader_ = data.val_dataloader();
    OptimizerSetup setup = model.configure_optimizers();
    if (!setup.optimizer) throw std::runtime_error(model.target() + "'s configure_optimizers() returned no optimizer");
    optimizer_ = setup.optimizer;
    scheduler_ = setup.scheduler;

    call_hooks(model, [&](Hooks& h) { h.on_fit_start(*this, model); });
    const int64_t sanity = options_.fast_dev_run > 0 ? 0 : options_.num_sanity_val_steps;
    if (val_loader_ && sanity != 0) {
      sanity_checking_ = true;
      call_hooks(model, [&](Hooks& h) { h.on_sanity_check_start(*this, model); });
      evaluate(model, *val_loader_, Eval::Validate, sanity < 0 ? val_loader_->num_batches() : std::min(sanity, val_loader_->num_batches()));
      call_hooks(model, [&](Hooks& h) { h.on_sanity_check_end(*this, model); });
      sanity_checking_ = false;
      logs_ = LogStore();  // Lightning discards what the sanity check logged
    }

    call_hooks(model, [&](Hooks& h) { h.on_train_start(*this, model); });
    for (; epoch_ < options_.effective_max_epochs() && !should_stop_; ++epoch_) {
      train_epoch(model, *train_loader);
      if (options_.max_steps >= 0 && global_step_ >= options_.max_steps) should_stop_ = true;
    }
    call_hooks(model, [&](Hooks& h) { h.on_train_end(*this, model); });
    call_hooks(model, [&](Hooks& h) { h.on_fit_end(*this, model); });
  } catch (const std::exception& e) {
    call_hooks(model, [&](Hooks& h) { h.on_exception(*this, model, e); });
    end_stage(model);
    throw;
  }
  end_stage(model);
}

bool PlTrainer::validation_due() const {
  if (!val_loader_) return false;
  if (options_.fast_dev_run > 0) return true;
  return (epoch_ + 1) % options_.check_val_every_n_epoch == 0 && batches(*val_loader_, options_.limit_val_batches) > 0;
}

void PlTrainer::train_epoch(Model& model, DataLoader& loader) {
  training_ = true;
  model.module().train();
  call_hooks(model, [&](Hooks& h) { h.on_train_epoch_start(*this, model); });
  const int64_t total = batches(loader, options_.limit_train_batches);
  const int64_t accumulate = options_.accumulate_grad_batches;
  loader.start_epoch(epoch_);
  int64_t batch_idx = 0;
  for (; batch_idx < total; ++batch_idx) {
    auto next = loader.next();
    if (!next) break;
    Dict batch = to_device(*next);
    call_hooks(model, [&](Hooks& h) { h.on_train_batch_start(*this, model, batch, batch_idx); });
    const std::string where = model.target() + ".training_step";
    Dict outputs =
        normalize_outputs(run_step(where, epoch_, batch_idx, [&] { return model.training_step(batch, batch_idx); }), where, true);
    torch::Tensor loss = loss_of(outputs, model.target() + ".training_step");
    if (!loss.requires_grad())
      throw std::runtime_error(model.target() + ".training_step returned a loss that does not require grad (is the network frozen?)");
    call_hooks(model, [&](Hooks& h) { h.on_before_backward(*this, model, loss); });
    (accumulate > 1 ? loss / static_cast<double>(accumulate) : loss).backward();
    call_hooks(model, [&](Hooks& h) { h.on_after_backward(*this, model); });
    if ((batch_idx + 1) % accumulate == 0 || batch_idx + 1 == total) optimizer_step(model);
    call_hooks(model, [&](Hooks& h) { h.on_train_batch_end(*this, model, outputs, batch, batch_idx); });
    auto step_values = logs_.take_step_values();
    if (options_.enable_progress_bar && (global_step_ % options_.log_every_n_steps == 0) && !step_values.empty())
      spdlog::info("epoch {} batch {}/{} step {}: {}", epoch_, batch_idx + 1, total, global_step_, fmt_metrics(step_values));
    if (options_.max_steps >= 0 && global_step_ >= options_.max_steps) break;
    check_interrupt();
  }
  if (val_loader_ && validation_due()) evaluate(model, *val_loader_, Eval::Validate, batches(*val_loader_, options_.limit_val_batches));
  training_ = true;
  call_hooks(model, [&](Hooks& h) { h.on_train_epoch_end(*this, model); });
  if (scheduler_ && scheduler_->interval() == "epoch") {
    std::optional<double> metric;
    if (!scheduler_->monitor().empty()) {
      auto it = callback_metrics().find(scheduler_->monitor());
      if (it != callback_metrics().end()) metric = it->second;
    }
    scheduler_->step(metric);
  }
  auto epoch_values = logs_.finish_epoch(LogStore::Train);
  spdlog::info("epoch {} done ({} batches, step {}): {}", epoch_, batch_idx, global_step_, fmt_metrics(epoch_values));
  training_ = false;
}

void PlTrainer::optimizer_step(Model& model) {
  if (options_.gradient_clip_val && *options_.gradient_clip_val > 0) {
    auto params = model.module().parameters();
    if (options_.gradient_clip_algorithm == "value") torch::nn::utils::clip_grad_value_(params, *options_.gradient_clip_val);
    else torch::nn::utils::clip_grad_norm_(params, *options_.gradient_clip_val);
  }
  call_hooks(model, [&](Hooks& h) { h.on_before_optimizer_step(*this, model, *optimizer_); });
  optimizer_->step();
  call_hooks(model, [&](Hooks& h) { h.on_before_zero_grad(*this, model, *optimizer_); });
  optimizer_->zero_grad();
  ++global_step_;
  if (scheduler_ && scheduler_->interval() == "step") scheduler_->step(std::nullopt);
}

std::map<std::string, double> PlTrainer::evaluate(Model& model, DataLoader& loader, Eval eval, int64_t max_batches) {
  const bool was_training = training_;
  training_ = false;
  torch::NoGradGuard no_grad;
  model.module().eval();
  const bool val = eval == Eval::Validate;
  call_hooks(model, [&](Hooks& h) { val ? h.on_validation_start(*this, model) : h.on_test_start(*this, model); });
  call_hooks(model, [&](Hooks& h) { val ? h.on_validation_epoch_start(*this, model) : h.on_test_epoch_start(*this, model); });
  loader.start_epoch(0);
  for (int64_t batch_idx = 0; batch_idx < max_batches; ++batch_idx) {
    auto next = loader.next();
    if (!next) break;
    Dict batch = to_device(*next);
    if (val) call_hooks(model, [&](Hooks& h) { h.on_validation_batch_start(*this, model, batch, batch_idx); });
    else call_hooks(model, [&](Hooks& h) { h.on_test_batch_start(*this, model, batch, batch_idx); });
    const std::string where = model.target() + (val ? ".validation_step" : ".test_step");
    Dict outputs = normalize_outputs(run_step(where, epoch_, batch_idx,
                                              [&] { return val ? model.validation_step(batch, batch_idx) : model.test_step(batch, batch_idx); }),
                                     where, false);
    if (val) call_hooks(model, [&](Hooks& h) { h.on_validation_batch_end(*this, model, outputs, batch, batch_idx); });
    else call_hooks(model, [&](Hooks& h) { h.on_test_batch_end(*this, model, outputs, batch, batch_idx); });
    logs_.take_step_values();
    check_interrupt();
  }
  call_hooks(model, [&](Hooks& h) { val ? h.on_validation_epoch_end(*this, model) : h.on_test_epoch_end(*this, model); });
  auto results = logs_.finish_epoch(LogStore::Eval);
  call_hooks(model, [&](Hooks& h) { val ? h.on_validation_end(*this, model) : h.on_test_end(*this, model); });
  if (was_training) model.module().train();
  training_ = was_training;
  if (!sanity_checking_ && val && stage_ == "fit") spdlog::info("validation epoch {}: {}", epoch_, fmt_metrics(results));
  return results;
}

std::map<std::string, double> PlTrainer::validate(Model& model, DataModule& data) {
  begin_stage("validate", model, data);
  auto loader = data.val_dataloader();
  if (!loader) throw std::runtime_error("validate needs a val_dataloader: set data::val_dataloader");
  auto results = evaluate(model, *loader, Eval::Validate, batches(*loader, options_.limit_val_batches));
  end_stage(model);
  return results;
}

std::map<std::string, double> PlTrainer::test(Model& model, DataModule& data) {
  begin_stage("test", model, data);
  auto loader = data.test_dataloader();
  if (!loader) throw std::runtime_error("test needs a test_dataloader: set data::test_dataloader");
  auto results = evaluate(model, *loader, Eval::Test, batches(*loader, options_.limit_test_batches));
  end_stage(model);
  return results;
}

std::vector<Dict> PlTrainer::predict(Model& model, DataModule& data, bool return_predictions) {
  begin_stage("predict", model, data);
  auto loader = data.predict_dataloader();
  if (!loader) throw std::runtime_error("predict needs a predict_dataloader: set data::predict_dataloader");
  std::vector<Dict> predictions;
  torch::NoGradGuard no_grad;
  model.module().eval();
  call_hooks(model, [&](Hooks& h) { h.on_predict_start(*this, model); });
  call_hooks(model, [&](Hooks& h) { h.on_predict_epoch_start(*this, model); });
  loader->start_epoch(0);
  const int64_t total = batches(*loader, options_.limit_predict_batches);
  for (int64_t batch_idx = 0; batch_idx < total; ++batch_idx) {
    auto next = loader->next();
    if (!next) break;
    Dict batch = to_device(*next);
    call_hooks(model, [&](Hooks& h) { h.on_predict_batch_start(*this, model, batch, batch_idx); });
    Dict outputs = run_step(model.target() + ".predict_step", 0, batch_idx, [&] { return model.predict_step(batch, batch_idx); });
    call_hooks(model, [&](Hooks& h) { h.on_predict_batch_end(*this, model, outputs, batch, batch_idx); });
    if (return_predictions) predictions.push_back(outputs);
    check_interrupt();
  }
  call_hooks(model, [&](Hooks& h) { h.on_predict_epoch_end(*this, model); });
  call_hooks(model, [&](Hooks& h) { h.on_predict_end(*this, model); });
  end_stage(model);
  return predictions;
}

}  // namespace lighter::host
