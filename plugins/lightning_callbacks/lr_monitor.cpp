// pytorch_lightning.callbacks.LearningRateMonitor: logs each param group's learning rate (and
// optionally momentum and weight decay) under Lightning's keys: `lr-Adam`, `lr-Adam/pg1`,
// `lr-Adam-momentum`, `lr-Adam-weight_decay`.
#include <lighter/sdk.hpp>

#include <tuple>

#include "registrations.hpp"

namespace lighter::lightning {

namespace {
// Lightning reads betas[0] for the Adam family and `momentum` elsewhere (0 when there is none).
double momentum_of(const torch::optim::OptimizerOptions& options) {
  if (const auto* o = dynamic_cast<const torch::optim::AdamOptions*>(&options)) return std::get<0>(o->betas());
  if (const auto* o = dynamic_cast<const torch::optim::AdamWOptions*>(&options)) return std::get<0>(o->betas());
  if (const auto* o = dynamic_cast<const torch::optim::SGDOptions*>(&options)) return o->momentum();
  if (const auto* o = dynamic_cast<const torch::optim::RMSpropOptions*>(&options)) return o->momentum();
  return 0.0;
}

double weight_decay_of(const torch::optim::OptimizerOptions& options) {
  if (const auto* o = dynamic_cast<const torch::optim::AdamOptions*>(&options)) return o->weight_decay();
  if (const auto* o = dynamic_cast<const torch::optim::AdamWOptions*>(&options)) return o->weight_decay();
  if (const auto* o = dynamic_cast<const torch::optim::SGDOptions*>(&options)) return o->weight_decay();
  if (const auto* o = dynamic_cast<const torch::optim::RMSpropOptions*>(&options)) return o->weight_decay();
  if (const auto* o = dynamic_cast<const torch::optim::AdagradOptions*>(&options)) return o->weight_decay();
  return 0.0;
}

class LearningRateMonitor : public Callback {
 public:
  LearningRateMonitor(std::optional<std::string> interval, bool log_momentum, bool log_weight_decay)
      : interval_(std::move(interval)), log_momentum_(log_momentum), log_weight_decay_(log_weight_decay) {}

  // Without an interval Lightning follows each scheduler's own; schedules are not visible to
  // callbacks here, so it logs every step (what Lightning does for optimizers without one).
  void on_train_batch_start(Trainer& trainer, Model&, const Dict&, int64_t) override {
    if (interval_.value_or("step") == "step") log_stats(trainer, {/*on_step=*/true, /*on_epoch=*/false});
  }
  void on_train_epoch_start(Trainer& trainer, Model&) override {
    if (interval_.value_or("step") == "epoch") log_stats(trainer, {/*on_step=*/false, /*on_epoch=*/true});
  }

 private:
  void log_stats(Trainer& trainer, const LogOptions& options) const {
    auto* optimizer = trainer.optimizer();
    if (!optimizer) return;
    const std::string name = trainer.optimizer_name().empty() ? "Optimizer" : trainer.optimizer_name();
    const auto& groups = optimizer->param_groups();
    for (size_t i = 0; i < groups.size(); ++i) {
      const std::string key = "lr-" + name + (groups.size() > 1 ? "/pg" + std::to_string(i + 1) : "");
      const auto& group_options = groups[i].options();
      trainer.log(key, group_options.get_lr(), options);
      if (log_momentum_) trainer.log(key + "-momentum", momentum_of(group_options), options);
      if (log_weight_decay_) trainer.log(key + "-weight_decay", weight_decay_of(group_options), options);
    }
  }

  std::optional<std::string> interval_;
  bool log_momentum_, log_weight_decay_;
};
}  // namespace

void register_lr_monitor(Registrar& r) {
  using namespace lighter::param;
  r.add<Callback>("pytorch_lightning.callbacks.LearningRateMonitor", "logs the optimizer's learning rate as lr-<Optimizer>",
                  {or_null(choice("logging_interval", {"step", "epoch"}, std::nullopt, "log at every step or every epoch start (default: step)")),
                   boolean("log_momentum", false, "also log momentum (beta1 for the Adam family) as lr-<Optimizer>-momentum"),
                   boolean("log_weight_decay", false, "also log weight decay as lr-<Optimizer>-weight_decay")},
                  [](const Args& a) {
                    return std::make_shared<LearningRateMonitor>(a.get_optional<std::string>("logging_interval"),
                                                                 a.get<bool>("log_momentum"), a.get<bool>("log_weight_decay"));
                  });
}

}  // namespace lighter::lightning
