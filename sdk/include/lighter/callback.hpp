#pragma once
// Lightning's callback hook set. Every hook is a no-op by default; override what you need.
#include <exception>
#include <string>

#include "lighter/data.hpp"
#include "lighter/object.hpp"
#include "lighter/trainer.hpp"

namespace lighter {

class Model;

class Hooks {
 public:
  virtual ~Hooks() = default;

  virtual void setup(Trainer&, Model&, const std::string& /*stage*/) {}
  virtual void teardown(Trainer&, Model&, const std::string& /*stage*/) {}
  virtual void on_fit_start(Trainer&, Model&) {}
  virtual void on_fit_end(Trainer&, Model&) {}
  virtual void on_sanity_check_start(Trainer&, Model&) {}
  virtual void on_sanity_check_end(Trainer&, Model&) {}

  virtual void on_train_start(Trainer&, Model&) {}
  virtual void on_train_end(Trainer&, Model&) {}
  virtual void on_train_epoch_start(Trainer&, Model&) {}
  virtual void on_train_epoch_end(Trainer&, Model&) {}
  virtual void on_train_batch_start(Trainer&, Model&, const Dict& /*batch*/, int64_t /*batch_idx*/) {}
  virtual void on_train_batch_end(Trainer&, Model&, const Dict& /*outputs*/, const Dict& /*batch*/,
                                  int64_t /*batch_idx*/) {}

  virtual void on_validation_start(Trainer&, Model&) {}
  virtual void on_validation_end(Trainer&, Model&) {}
  virtual void on_validation_epoch_start(Trainer&, Model&) {}
  virtual void on_validation_epoch_end(Trainer&, Model&) {}
  virtual void on_validation_batch_start(Trainer&, Model&, const Dict&, int64_t) {}
  virtual void on_validation_batch_end(Trainer&, Model&, const Dict&, const Dict&, int64_t) {}

  virtual void on_test_start(Trainer&, Model&) {}
  virtual void on_test_end(Trainer&, Model&) {}
  virtual void on_test_epoch_start(Trainer&, Model&) {}
  virtual void on_test_epoch_end(Trainer&, Model&) {}
  virtual void on_test_batch_start(Trainer&, Model&, const Dict&, int64_t) {}
  virtual void on_test_batch_end(Trainer&, Model&, const Dict&, const Dict&, int64_t) {}

  virtual void on_predict_start(Trainer&, Model&) {}
  virtual void on_predict_end(Trainer&, Model&) {}
  virtual void on_predict_epoch_start(Trainer&, Model&) {}
  virtual void on_predict_epoch_end(Trainer&, Model&) {}
  virtual void on_predict_batch_start(Trainer&, Model&, const Dict&, int64_t) {}
  virtual void on_predict_batch_end(Trainer&, Model&, const Dict&, const Dict&, int64_t) {}

  virtual void on_before_backward(Trainer&, Model&, const torch::Tensor& /*loss*/) {}
  virtual void on_after_backward(Trainer&, Model&) {}
  virtual void on_before_optimizer_step(Trainer&, Model&, torch::optim::Optimizer&) {}
  virtual void on_before_zero_grad(Trainer&, Model&, torch::optim::Optimizer&) {}

  // `checkpoint` is the Lightning-layout dict being saved / loaded.
  virtual void on_save_checkpoint(Trainer&, Model&, Dict& /*checkpoint*/) {}
  virtual void on_load_checkpoint(Trainer&, Model&, const Dict& /*checkpoint*/) {}
  virtual void on_exception(Trainer&, Model&, const std::exception&) {}
};

class Callback : public Object, public Hooks {
 public:
  static constexpr Kind static_kind = Kind::Callback;
  Kind kind() const override { return Kind::Callback; }

  // Monitoring callbacks (checkpointing, early stopping) run their on_train_epoch_end after the
  // epoch's logged values are final, as Lightning does; the others run before the model's hook.
  virtual bool monitors_metrics() const { return false; }
  // Saved under the checkpoint's `callbacks` entry, keyed by state_key().
  virtual std::string state_key() const { return target(); }
  virtual Dict state_dict() const { return {}; }
  virtual void load_state_dict(const Dict&) {}
};

}  // namespace lighter
