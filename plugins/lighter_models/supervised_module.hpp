#pragma once
// lighter.SupervisedModule: (input, target) -> network -> loss and metrics, for configs that
// need no C++ (`task = "classification" | "regression"`).
#include <lighter/model.hpp>
#include <lighter/plugin.hpp>

namespace lighter::models {

class SupervisedModule : public LighterModule {
 public:
  enum class Task { Classification, Regression };
  SupervisedModule(Parts parts, Task task) : LighterModule(std::move(parts)), task_(task) {}

  // Outputs: loss, pred (class index / regression output), probs (classification), target,
  // input and id (when the batch has one).
  Dict training_step(const Dict& batch, int64_t batch_idx) override;
  Dict validation_step(const Dict& batch, int64_t batch_idx) override;
  Dict test_step(const Dict& batch, int64_t batch_idx) override;
  // The same without loss (and without target when the batch has none).
  Dict predict_step(const Dict& batch, int64_t batch_idx) override;

 private:
  struct Prediction {
    torch::Tensor pred, probs;  // probs: classification only
  };
  static Prediction predict(Task task, const torch::Tensor& output);
  enum class Loss { Required, IfPossible, None };
  Dict step(const Dict& batch, const std::string& mode, Loss loss);
  torch::Tensor prepare_target(const torch::Tensor& target, const torch::Tensor& output) const;
  torch::Tensor compute_loss(const torch::Tensor& output, const torch::Tensor& target, const std::string& mode);

  Task task_;
};

void register_supervised_module(Registrar& registrar);

}  // namespace lighter::models
