#include "lighter/object.hpp"

namespace lighter {

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Module: return "module";
    case Kind::Optimizer: return "optimizer";
    case Kind::Scheduler: return "scheduler";
    case Kind::Metric: return "metric";
    case Kind::Dataset: return "dataset";
    case Kind::Transform: return "transform";
    case Kind::DataLoader: return "dataloader";
    case Kind::DataModule: return "datamodule";
    case Kind::Model: return "model";
    case Kind::Trainer: return "trainer";
    case Kind::Callback: return "callback";
    case Kind::Logger: return "logger";
    case Kind::Other: break;
  }
  return "other";
}

}  // namespace lighter
