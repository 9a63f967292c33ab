#pragma once
// The trainer behind `pytorch_lightning.Trainer`: Lightning's loops and hook order over the
// SDK's Model / DataModule / Callback interfaces.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/log_store.hpp"
#include "engine/trainer_options.hpp"
#include "lighter/model.hpp"

namespace lighter::host {

class PlTrainer : public lighter::Trainer {
 public:
  explicit PlTrainer(TrainerOptions options);

  const TrainerOptions& options() const { return options_; }
  // Where this run writes (lighter_logs/version_N); empty for fast_dev_run / dry runs.
  void set_log_dir(std::filesystem::path dir) { log_dir_ = std::move(dir); }

  void fit(Model& model, DataModule& data);
  std::map<std::string, double> validate(Model& model, DataModule& data);
  std::map<std::string, double> test(Model& model, DataModule& data);
  std::vector<Dict> predict(Model& model, DataModule& data, bool return_predictions);

  // lighter::Trainer
  const std::string& stage() const override { return stage_; }
  bool training() const override { return training_; }
  bool sanity_checking() const override { return sanity_checking_; }
  int64_t current_epoch() const override { return epoch_; }
  int64_t global_step() const override { return global_step_; }
  int64_t max_epochs() const override { return options_.effective_max_epochs(); }
  std::filesystem::path log_dir() const override { return log_dir_; }
  const std::map<std::string, double>& callback_metrics() const override { return logs_.callback_metrics(); }
  void log(const std::string& key, double value, const LogOptions& options) override {
    logs_.log(key, value, options, training_ ? LogStore::Train : LogStore::Eval);
  }
  void request_stop() override { should_stop_ = true; }
  bool should_stop() const override { return should_stop_; }
  torch::optim::Optimizer* optimizer() override { return optimizer_.get(); }

 private:
  enum class Eval { Validate, Test };

  void begin_stage(const std::string& stage, Model& model, DataModule& data);
  void end_stage(Model& model);
  template <class Hook>
  void call_hooks(Model& model, Hook&& hook);
  void train_epoch(Model& model, DataLoader& loader);
  void optimizer_step(Model& model);
  std::map<std::string, double> evaluate(Model& model, DataLoader& loader, Eval eval, int64_t max_batches);
  bool validation_due() const;
  int64_t batches(const DataLoader& loader, const BatchLimit& limit) const;
  Dict to_device(const Dict& batch) const;
  void report_progress(const std::string& what, int64_t done, int64_t total);

  TrainerOptions options_;
  torch::Device device_{torch::kCPU};
  std::filesystem::path log_dir_;
  std::string stage_;
  bool training_ = false;
  bool sanity_checking_ = false;
  bool should_stop_ = false;
  int64_t epoch_ = 0;
  int64_t global_step_ = 0;
  LogStore logs_;
  std::shared_ptr<torch::optim::Optimizer> optimizer_;
  std::shared_ptr<Scheduler> scheduler_;
  std::shared_ptr<DataLoader> val_loader_;
};

// The step's outputs as a Dict with `loss` (Lighter's normalisation; throws on a missing
// `total` in a loss table).
Dict normalize_outputs(const Dict& outputs, const std::string& where, bool loss_required);

}  // namespace lighter::host
