// Validation, test and predict loops.
#include <spdlog/spdlog.h>

#include "engine/interrupt.hpp"
#include "engine/trainer.hpp"
#include "engine/trainer_steps.hpp"

namespace lighter::host {

Dict normalize_outputs(const Dict& outputs, const std::string& where, bool loss_required) {
  if (loss_required || outputs.contains("loss")) loss_of(outputs, where);  // validates a loss table
  return outputs;
}

std::map<std::string, double> PlTrainer::evaluate(Model& model, DataLoader& loader, Eval eval, int64_t max_batches) {
  const bool was_training = training_;
  training_ = false;
  torch::NoGradGuard no_grad;
  model.module().eval();
  const bool val = eval == Eval::Validate;
  call_hooks(val ? "on_validation_start" : "on_test_start", model, [&](Hooks& h) { val ? h.on_validation_start(*this, model) : h.on_test_start(*this, model); });
  call_hooks(val ? "on_validation_epoch_start" : "on_test_epoch_start", model, [&](Hooks& h) { val ? h.on_validation_epoch_start(*this, model) : h.on_test_epoch_start(*this, model); });
  plugin_call(loader, "start_epoch", [&] { loader.start_epoch(0); });
  const std::string where = model.target() + (val ? ".validation_step" : ".test_step");
  reporter_.start(sanity_checking_ ? "sanity check" : val ? "validation" : "test", max_batches);
  for (int64_t batch_idx = 0; batch_idx < max_batches; ++batch_idx) {
    auto next = next_batch(loader);
    if (!next) break;
    Dict batch = to_device(*next);
    if (val) call_hooks("on_validation_batch_start", model, [&](Hooks& h) { h.on_validation_batch_start(*this, model, batch, batch_idx); });
    else call_hooks("on_test_batch_start", model, [&](Hooks& h) { h.on_test_batch_start(*this, model, batch, batch_idx); });
    Dict outputs = normalize_outputs(
        run_step(model, val ? "validation_step" : "test_step", batch, batch_idx,
                 [&] { return val ? model.validation_step(batch, batch_idx) : model.test_step(batch, batch_idx); }),
        where, false);
    if (val) call_hooks("on_validation_batch_end", model, [&](Hooks& h) { h.on_validation_batch_end(*this, model, outputs, batch, batch_idx); });
    else call_hooks("on_test_batch_end", model, [&](Hooks& h) { h.on_test_batch_end(*this, model, outputs, batch, batch_idx); });
    logs_.take_step_values();
    reporter_.update(batch_idx + 1, "");
    check_interrupt_all();
  }
  check_interrupt_all(/*last=*/true);
  reporter_.finish();
  call_hooks(val ? "on_validation_epoch_end" : "on_test_epoch_end", model, [&](Hooks& h) { val ? h.on_validation_epoch_end(*this, model) : h.on_test_epoch_end(*this, model); });
  auto results = finish_epoch(LogStore::Eval);
  if (!sanity_checking_) send_to_loggers(results, progress_.epoch);
  call_hooks(val ? "on_validation_end" : "on_test_end", model, [&](Hooks& h) { val ? h.on_validation_end(*this, model) : h.on_test_end(*this, model); });
  if (was_training) model.module().train();
  training_ = was_training;
  if (!sanity_checking_ && val && stage_ == "fit") spdlog::info("validation epoch {}: {}", progress_.epoch, format_metrics(results));
  return results;
}

std::map<std::string, double> PlTrainer::validate(Model& model, DataModule& data) {
  begin_stage("validate", model, data);
  return guarded(model, [&] {
    auto loader = plugin_call(data, "val_dataloader", [&] { return data.val_dataloader(); });
    if (!loader) throw std::runtime_error("validate needs a val_dataloader: set data::val_dataloader");
    return evaluate(model, *loader, Eval::Validate, batches(*loader, options_.limit_val_batches));
  });
}

std::map<std::string, double> PlTrainer::test(Model& model, DataModule& data) {
  begin_stage("test", model, data);
  return guarded(model, [&] {
    auto loader = plugin_call(data, "test_dataloader", [&] { return data.test_dataloader(); });
    if (!loader) throw std::runtime_error("test needs a test_dataloader: set data::test_dataloader");
    return evaluate(model, *loader, Eval::Test, batches(*loader, options_.limit_test_batches));
  });
}

std::vector<Dict> PlTrainer::predict(Model& model, DataModule& data, bool return_predictions) {
  begin_stage("predict", model, data);
  return guarded(model, [&] { return predict_epoch(model, data, return_predictions); });
}

std::vector<Dict> PlTrainer::predict_epoch(Model& model, DataModule& data, bool return_predictions) {
  auto loader = plugin_call(data, "predict_dataloader", [&] { return data.predict_dataloader(); });
  if (!loader) throw std::runtime_error("predict needs a predict_dataloader: set data::predict_dataloader");
  std::vector<Dict> predictions;
  torch::NoGradGuard no_grad;
  model.module().eval();
  call_hooks("on_predict_start", model, [&](Hooks& h) { h.on_predict_start(*this, model); });
  call_hooks("on_predict_epoch_start", model, [&](Hooks& h) { h.on_predict_epoch_start(*this, model); });
  plugin_call(*loader, "start_epoch", [&] { loader->start_epoch(0); });
  const int64_t total = batches(*loader, options_.limit_predict_batches);
  reporter_.start("predict", total);
  for (int64_t batch_idx = 0; batch_idx < total; ++batch_idx) {
    auto next = next_batch(*loader);
    if (!next) break;
    Dict batch = to_device(*next);
    call_hooks("on_predict_batch_start", model, [&](Hooks& h) { h.on_predict_batch_start(*this, model, batch, batch_idx); });
    Dict outputs = run_step(model, "predict_step", batch, batch_idx, [&] { return model.predict_step(batch, batch_idx); });
    call_hooks("on_predict_batch_end", model, [&](Hooks& h) { h.on_predict_batch_end(*this, model, outputs, batch, batch_idx); });
    if (return_predictions) predictions.push_back(outputs);
    reporter_.update(batch_idx + 1, "");
    check_interrupt();  // ranks predict different numbers of batches: no collective here
  }
  reporter_.finish();
  call_hooks("on_predict_epoch_end", model, [&](Hooks& h) { h.on_predict_epoch_end(*this, model); });
  call_hooks("on_predict_end", model, [&](Hooks& h) { h.on_predict_end(*this, model); });
  return predictions;
}

}  // namespace lighter::host
