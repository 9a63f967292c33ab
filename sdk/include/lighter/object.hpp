#pragma once
// Everything a component factory builds derives from Object. The host hands objects around as
// std::shared_ptr<Object> and ties each one to the plugin library that made it, so no vtable
// outlives its code.
#include <memory>
#include <string>

namespace lighter {

// What role a component plays; the host checks a built object against the role its place in
// the config needs (a `model` must be a Model, an `optimizer` an Optimizer, ...).
enum class Kind {
  Module,      // torch.nn layers, networks and losses
  Optimizer,   // torch.optim.*
  Scheduler,   // torch.optim.lr_scheduler.*, danling.optim.*
  Metric,      // torchmetrics.*
  Dataset,     // torchvision.datasets.*, lighter.datasets.*
  Transform,   // torchvision.transforms.*
  DataLoader,  // torch.utils.data.DataLoader
  DataModule,  // lighter.LighterDataModule
  Model,       // lighter.LighterModule and its subclasses
  Trainer,     // pytorch_lightning.Trainer
  Callback,    // lighter.callbacks.*, pytorch_lightning.callbacks.*
  Logger,      // pytorch_lightning.loggers.*
  Other,
};

const char* kind_name(Kind kind);

class Object {
 public:
  virtual ~Object() = default;
  virtual Kind kind() const = 0;
  // The `_target_` it was built from (set by the host after the factory returns).
  const std::string& target() const { return target_; }
  void set_target(std::string target) { target_ = std::move(target); }

 private:
  std::string target_;
};

using ObjectPtr = std::shared_ptr<Object>;

}  // namespace lighter
