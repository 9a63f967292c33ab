#pragma once
// Models: Lightning's LightningModule as an interface, and Lighter's LighterModule base that
// plugin authors subclass (network, criterion, optimizer, scheduler, metrics from config).
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "lighter/args.hpp"
#include "lighter/callback.hpp"
#include "lighter/data.hpp"
#include "lighter/metric.hpp"
#include "lighter/module.hpp"
#include "lighter/optim.hpp"
#include "lighter/params.hpp"

namespace lighter {

struct OptimizerSetup {
  std::shared_ptr<torch::optim::Optimizer> optimizer;
  std::shared_ptr<Scheduler> scheduler;  // may be null
  std::string name;                      // "Adam": used in logged keys
  // The recipe that made the optimizer: it saves and restores its state in checkpoints.
  std::shared_ptr<const Optimizer> recipe;
};

class Model : public Object, public Hooks {
 public:
  static constexpr Kind static_kind = Kind::Model;
  Kind kind() const override { return Kind::Model; }

  // The torch module whose parameters are trained and whose state_dict is checkpointed.
  virtual torch::nn::Module& module() = 0;
  // Prefix of the module's names in a checkpoint's state_dict, as the Python model names them
  // (a LighterModule keeps its network under "network.").
  virtual std::string state_prefix() const { return ""; }

  // Step methods return their outputs as a Dict. Training must produce `loss`: a scalar
  // tensor, or a Dict of named losses with a `total` entry.
  virtual Dict training_step(const Dict& batch, int64_t batch_idx);
  virtual Dict validation_step(const Dict& batch, int64_t batch_idx);
  virtual Dict test_step(const Dict& batch, int64_t batch_idx);
  virtual Dict predict_step(const Dict& batch, int64_t batch_idx);
  virtual OptimizerSetup configure_optimizers();

  // Set by the engine while a stage runs.
  Trainer* trainer() const { return trainer_; }
  void attach(Trainer* trainer) { trainer_ = trainer; }
  void log(const std::string& key, double value, const LogOptions& options = {}) const;
  // A one-element tensor: on a GPU it is read back only when printed or written.
  void log(const std::string& key, const torch::Tensor& value, const LogOptions& options = {}) const;

 private:
  Trainer* trainer_ = nullptr;
};

// Lighter's base model. Subclass it and override the step methods you need; the base wires the
// optimizer to the network's trainable parameters, and logs losses and metrics under Lighter's
// names (`train/loss/step`, `val/metrics/Accuracy/epoch`, ...) after every step and epoch.
class LighterModule : public Model {
 public:
  struct Parts {
    std::shared_ptr<Module> network;
    std::shared_ptr<Module> criterion;
    std::shared_ptr<Optimizer> optimizer;
    std::shared_ptr<Scheduler> scheduler;
    std::shared_ptr<Metric> train_metrics, val_metrics, test_metrics;
  };
  // The parameters every LighterModule takes; a subclass appends its own.
  static std::vector<Param> params();
  static Parts parts_from(const Args& args);

  explicit LighterModule(Parts parts);

  torch::nn::Module& module() override { return *parts_.network->ptr(); }
  std::string state_prefix() const override { return "network."; }
  torch::Tensor forward(const torch::Tensor& x) { return parts_.network->forward(x); }
  OptimizerSetup configure_optimizers() override;

  Module& network() { return *parts_.network; }
  Module* criterion() { return parts_.criterion.get(); }
  Metric* metrics(const std::string& mode);  // "train", "val", "test"; may be null
  // Updates the mode's metrics with a batch (torchmetrics' forward) and logs the batch values
  // as `<mode>/metrics/<name>/step`; epoch values are logged at the epoch's end.
  void update_metrics(const std::string& mode, const torch::Tensor& preds, const torch::Tensor& target);

  void on_train_batch_start(Trainer&, Model&, const Dict&, int64_t batch_idx) override;
  void on_train_batch_end(Trainer&, Model&, const Dict& outputs, const Dict&, int64_t) override;
  void on_validation_batch_end(Trainer&, Model&, const Dict& outputs, const Dict&, int64_t) override;
  void on_test_batch_end(Trainer&, Model&, const Dict& outputs, const Dict&, int64_t) override;
  void on_train_epoch_end(Trainer&, Model&) override;
  void on_validation_epoch_end(Trainer&, Model&) override;
  void on_test_epoch_end(Trainer&, Model&) override;

 protected:
  void log_step_outputs(const std::string& mode, const Dict& outputs);
  void log_epoch_metrics(const std::string& mode);

 private:
  Parts parts_;
};

// The loss of a step's outputs: `loss` itself, or `loss`'s `total` entry. Throws with a clear
// message when neither is there.
torch::Tensor loss_of(const Dict& outputs, const std::string& where);

}  // namespace lighter
