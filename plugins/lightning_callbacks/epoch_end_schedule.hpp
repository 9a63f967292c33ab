#pragma once
// When ModelCheckpoint and EarlyStopping act at the end of an epoch. Lightning acts after
// validation when the fit validates and at the end of each training epoch otherwise; the
// user's save_on_train_epoch_end / check_on_train_epoch_end overrides that.
#include <lighter/sdk.hpp>

#include <optional>

namespace lighter::lightning {

class EpochEndSchedule {
 public:
  explicit EpochEndSchedule(std::optional<bool> on_train_epoch_end) : on_train_epoch_end_(on_train_epoch_end) {}

  void start(const std::string& stage) {
    if (stage == "fit") validated_ = false;
  }
  // From on_validation_end: true when the callback should act now.
  bool after_validation(const Trainer& trainer) {
    if (trainer.stage() != "fit") return false;
    validated_ = true;  // a sanity check proves a validation loop exists too
    return !trainer.sanity_checking() && !on_train_epoch_end_.value_or(false);
  }
  // From on_train_epoch_end. Once the fit has validated, epochs without validation
  // (check_val_every_n_epoch > 1) wait for the next validation instead of re-reading stale
  // validation metrics, like Lightning.
  bool after_train_epoch(const Trainer& trainer) const {
    if (trainer.stage() != "fit" || trainer.sanity_checking()) return false;
    return on_train_epoch_end_ ? *on_train_epoch_end_ : !validated_;
  }

 private:
  std::optional<bool> on_train_epoch_end_;
  bool validated_ = false;  // a validation loop ran during this fit
};

}  // namespace lighter::lightning
