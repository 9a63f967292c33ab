#pragma once
// Lightning's standard callbacks, one file each.
#include <lighter/plugin.hpp>

#include <optional>
#include <string>

namespace lighter::lightning {
void register_model_checkpoint(Registrar& registrar);  // pytorch_lightning.callbacks.ModelCheckpoint
void register_early_stopping(Registrar& registrar);    // pytorch_lightning.callbacks.EarlyStopping
void register_lr_monitor(Registrar& registrar);        // pytorch_lightning.callbacks.LearningRateMonitor

// Python's repr of a string or None, for Lightning's callback state keys.
inline std::string py_repr(const std::optional<std::string>& text) { return text ? "'" + *text + "'" : "None"; }
// A parameter whose default is null.
inline Param or_null(Param p) {
  p.type = p.type | Type::Null;
  p.default_value = Value();
  return p;
}
}  // namespace lighter::lightning
