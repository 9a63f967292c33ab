#include "supervised_module.hpp"

#include <sstream>

namespace lighter::models {

namespace {
std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

const char* step_name(const std::string& mode) {
  if (mode == "train") return "training_step";
  if (mode == "val") return "validation_step";
  if (mode == "test") return "test_step";
  return "predict_step";
}
}  // namespace

Dict SupervisedModule::training_step(const Dict& batch, int64_t) { return step(batch, "train", Loss::Required); }
Dict SupervisedModule::validation_step(const Dict& batch, int64_t) { return step(batch, "val", Loss::Required); }
Dict SupervisedModule::test_step(const Dict& batch, int64_t) { return step(batch, "test", Loss::IfPossible); }
Dict SupervisedModule::predict_step(const Dict& batch, int64_t) { return step(batch, "predict", Loss::None); }

Dict SupervisedModule::step(const Dict& batch, const std::string& mode, Loss loss) {
  const torch::Tensor input = batch.tensor("input");
  torch::Tensor output;
  try {
    output = forward(input);
  } catch (const c10::Error& e) {
    throw std::runtime_error("the network (" + network().target() + ") cannot take the batch's 'input' of shape " +
                             shape_of(input) + ": " + e.what_without_backtrace());
  }
  const bool has_target = batch.contains("target");
  if (loss == Loss::Required && !has_target)
    throw std::runtime_error(target() + ": " + step_name(mode) + " needs a 'target' in the batch");
  // Predictions pass the target through untouched: it is only there for the writers.
  const bool scored = has_target && loss != Loss::None;
  const torch::Tensor y = scored ? prepare_target(batch.tensor("target"), output)
                                 : (has_target ? batch.tensor("target") : torch::Tensor());

  Dict outputs;
  if (scored && (criterion() || loss == Loss::Required))
    outputs.set("loss", compute_loss(output, y, mode));

  const torch::Tensor detached = output.detach();
  // Metrics need the predictions now; otherwise they are computed only if something reads them
  // (a writer, a callback): a training step without train metrics skips softmax and argmax.
  if (scored && metrics(mode)) {
    const Prediction p = predict(task_, detached);
    update_metrics(mode, p.probs.defined() ? p.probs : p.pred, y);
    outputs.set("pred", p.pred);
    if (p.probs.defined()) outputs.set("probs", p.probs);
  } else if (task_ == Task::Classification) {
    auto once = std::make_shared<Prediction>();  // shared by both values; holds no pointer to the model
    auto get = [once, detached, task = task_] {
      if (!once->pred.defined()) *once = predict(task, detached);
      return once;
    };
    outputs.set_lazy("pred", [get] { return get()->pred; });
    outputs.set_lazy("probs", [get] { return get()->probs; });
  } else {
    outputs.set("pred", detached);
  }
  if (has_target) outputs.set("target", y);
  outputs.set("input", input);
  if (const auto* id = batch.find("id")) outputs.set("id", *id);
  return outputs;
}

SupervisedModule::Prediction SupervisedModule::predict(Task task, const torch::Tensor& output) {
  if (task == Task::Regression) return {output, torch::Tensor()};
  const int64_t class_dim = output.dim() >= 2 ? 1 : 0;
  torch::Tensor probs = torch::softmax(output, class_dim);
  return {probs.argmax(class_dim), probs};
}

torch::Tensor SupervisedModule::prepare_target(const torch::Tensor& target, const torch::Tensor& output) const {
  if (task_ == Task::Classification) return target.to(torch::kLong);
  torch::Tensor y = target.to(output.scalar_type());
  if (y.sizes() == output.sizes()) return y;
  if (y.numel() != output.numel())
    throw std::runtime_error(this->target() + " (regression): the network output has shape " + shape_of(output) +
                             " but the target has shape " + shape_of(target) +
                             "; they need the same number of elements");
  return y.reshape(output.sizes());
}

torch::Tensor SupervisedModule::compute_loss(const torch::Tensor& output, const torch::Tensor& y,
                                             const std::string& mode) {
  if (!criterion())
    throw std::runtime_error(target() + ": " + step_name(mode) + " needs a loss; set model::criterion");
  try {
    return criterion()->forward(output, y);
  } catch (const c10::Error& e) {
    throw std::runtime_error(target() + ": the criterion failed on the network output of shape " + shape_of(output) +
                             " and the target of shape " + shape_of(y) + ": " + e.what_without_backtrace());
  }
}

void register_supervised_module(Registrar& r) {
  auto params = LighterModule::params();
  params.push_back(param::choice("task", {"classification", "regression"}, "classification",
                                 "classification: pred = argmax class, probs = softmax; regression: pred = output"));
  r.add<Model>("lighter.SupervisedModule", "supervised learning from (input, target) batches, no code needed",
               std::move(params), [](const Args& a) {
                 auto task = a.get<std::string>("task") == "regression" ? SupervisedModule::Task::Regression
                                                                        : SupervisedModule::Task::Classification;
                 return std::make_shared<SupervisedModule>(LighterModule::parts_from(a), task);
               });
}

}  // namespace lighter::models
