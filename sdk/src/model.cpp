#include "lighter/model.hpp"

#include <stdexcept>

namespace lighter {

namespace {
// A metric value as it is logged: a single value under its name; a vector (per-class values,
// average="none") one value per class, named as torchmetrics' ClasswiseWrapper names them,
// "<name>_<class index>". Other shapes are not logged (Lightning's self.log takes scalars only).
std::vector<std::pair<std::string, torch::Tensor>> loggable(const std::string& name, const torch::Tensor& value) {
  if (value.numel() == 1) return {{name, value}};
  std::vector<std::pair<std::string, torch::Tensor>> out;
  if (value.dim() != 1) return out;
  for (int64_t i = 0; i < value.size(0); ++i) out.emplace_back(name + "_" + std::to_string(i), value[i]);
  return out;
}

[[noreturn]] void not_implemented(const Model& model, const std::string& step, const std::string& use) {
  throw std::runtime_error(model.target() + " does not implement " + step + "(), which " + use +
                           " needs; override it in the model's class");
}
}  // namespace

Dict Model::training_step(const Dict&, int64_t) { not_implemented(*this, "training_step", "fit"); }
Dict Model::validation_step(const Dict&, int64_t) { not_implemented(*this, "validation_step", "validation"); }
Dict Model::test_step(const Dict&, int64_t) { not_implemented(*this, "test_step", "test"); }
Dict Model::predict_step(const Dict&, int64_t) { not_implemented(*this, "predict_step", "predict"); }
OptimizerSetup Model::configure_optimizers() {
  throw std::runtime_error(target() + " has no optimizer: configure one (model::optimizer) to fit");
}

void Model::log(const std::string& key, double value, const LogOptions& options) const {
  if (trainer_) trainer_->log(key, value, options);
}

void Model::log(const std::string& key, const torch::Tensor& value, const LogOptions& options) const {
  if (trainer_) trainer_->log_tensor(key, value, options);
}

torch::Tensor loss_of(const Dict& outputs, const std::string& where) {
  if (!outputs.contains("loss"))
    throw std::runtime_error(where + " returned no 'loss' (return the loss tensor, or a dict with 'loss')");
  const c10::IValue& loss = outputs.at("loss");
  if (loss.isTensor()) return loss.toTensor();
  if (loss.isGenericDict()) {
    Dict table = Dict::from_ivalue(loss);
    if (const auto* total = table.find("total"); total && total->isTensor()) return total->toTensor();
    std::string keys;
    for (const auto& k : table.keys()) keys += (keys.empty() ? "" : ", ") + k;
    throw std::runtime_error(where + " returned a loss dict without a 'total' entry (keys: " + keys +
                             "); add 'total' = the combined loss to optimise");
  }
  throw std::runtime_error(where + " returned a 'loss' that is neither a tensor nor a dict with 'total'");
}

std::vector<Param> LighterModule::params() {
  return {
      param::component("network", Kind::Module, "the neural network (torch.nn module)"),
      param::component("criterion", Kind::Module, "loss function, called as criterion(pred, target)", true),
      param::component("optimizer", Kind::Optimizer, "optimizer; wired to the network's trainable parameters", true),
      param::component("scheduler", Kind::Scheduler, "learning-rate scheduler", true),
      param::component("train_metrics", Kind::Metric, "metrics updated in training steps", true),
      param::component("val_metrics", Kind::Metric, "metrics updated in validation steps", true),
      param::component("test_metrics", Kind::Metric, "metrics updated in test steps", true),
  };
}

LighterModule::Parts LighterModule::parts_from(const Args& args) {
  Parts parts;
  parts.network = args.component<Module>("network");
  parts.criterion = args.component<Module>("criterion");
  parts.optimizer = args.component<Optimizer>("optimizer");
  parts.scheduler = args.component<Scheduler>("scheduler");
  parts.train_metrics = args.component<Metric>("train_metrics");
  parts.val_metrics = args.component<Metric>("val_metrics");
  parts.test_metrics = args.component<Metric>("test_metrics");
  return parts;
}

LighterModule::LighterModule(Parts parts) : parts_(std::move(parts)) {
  if (!parts_.network) throw std::invalid_argument("LighterModule needs a network");
}

OptimizerSetup LighterModule::configure_optimizers() {
  if (!parts_.optimizer) return Model::configure_optimizers();
  std::vector<torch::Tensor> trainable;
  auto& source = parts_.optimizer->params_module ? *parts_.optimizer->params_module : module();
  for (auto& p : source.parameters())
    if (p.requires_grad()) trainable.push_back(p);
  OptimizerSetup setup;
  setup.optimizer = parts_.optimizer->create(std::move(trainable));
  setup.scheduler = parts_.scheduler;
  setup.name = parts_.optimizer->name();
  setup.recipe = parts_.optimizer;
  return setup;
}

Metric* LighterModule::metrics(const std::string& mode) {
  if (mode == "train") return parts_.train_metrics.get();
  if (mode == "val") return parts_.val_metrics.get();
  if (mode == "test") return parts_.test_metrics.get();
  return nullptr;
}

void LighterModule::log_step_outputs(const std::string& mode, const Dict& outputs) {
  if (!trainer() || !outputs.contains("loss")) return;
  const int64_t batch_size = 1;
  auto log_both = [&](const std::string& name, const torch::Tensor& value) {
    const torch::Tensor v = value.detach();
    log(name + "/step", v, {true, false, false, batch_size});
    log(name + "/epoch", v, {false, true, false, batch_size});
  };
  const c10::IValue& loss = outputs.at("loss");
  if (loss.isGenericDict()) {
    for (const auto& [name, value] : Dict::from_ivalue(loss))
      if (value.isTensor()) log_both(mode + "/loss/" + name, value.toTensor());
  } else if (loss.isTensor()) {
    log_both(mode + "/loss", loss.toTensor());
  }
}

void LighterModule::log_epoch_metrics(const std::string& mode) {
  Metric* m = metrics(mode);
  if (!m) return;
  for (const auto& [metric, values] : m->compute())
    for (const auto& [name, value] : loggable(metric, values))
      log(mode + "/metrics/" + name + "/epoch", value, {false, true});
  m->reset();
}

void LighterModule::update_metrics(const std::string& mode, const torch::Tensor& preds, const torch::Tensor& target) {
  Metric* m = metrics(mode);
  if (!m) return;
  for (const auto& [metric, values] : m->forward(preds.detach(), target.detach()))
    for (const auto& [name, value] : loggable(metric, values))
      log(mode + "/metrics/" + name + "/step", value, {true, false});
}

// Optimizer hyper-parameters once per epoch, at its first batch (Lighter's _log_optimizer_stats).
void LighterModule::on_train_batch_start(Trainer& trainer, Model&, const Dict&, int64_t batch_idx) {
  if (batch_idx != 0 || !parts_.optimizer || !trainer.optimizer()) return;
  for (const auto& [name, value] : parts_.optimizer->stats(*trainer.optimizer()))
    log("train/optimizer/" + trainer.optimizer_name() + "/" + name + "/epoch", value, {false, true});
}

void LighterModule::on_train_batch_end(Trainer&, Model&, const Dict& outputs, const Dict&, int64_t) {
  log_step_outputs("train", outputs);
}
void LighterModule::on_validation_batch_end(Trainer&, Model&, const Dict& outputs, const Dict&, int64_t) {
  log_step_outputs("val", outputs);
}
void LighterModule::on_test_batch_end(Trainer&, Model&, const Dict& outputs, const Dict&, int64_t) {
  log_step_outputs("test", outputs);
}
void LighterModule::on_train_epoch_end(Trainer&, Model&) { log_epoch_metrics("train"); }
void LighterModule::on_validation_epoch_end(Trainer&, Model&) { log_epoch_metrics("val"); }
void LighterModule::on_test_epoch_end(Trainer&, Model&) { log_epoch_metrics("test"); }

}  // namespace lighter
