#pragma once
// `trainer::strategy`: "auto", "ddp" (and Lightning's "ddp_find_unused_parameters_true"), or a
// `pytorch_lightning.strategies.DDPStrategy` table with DDP's own options.
#include <chrono>
#include <string>

#include "dist/ddp.hpp"
#include "lighter/object.hpp"
#include "lighter/params.hpp"

namespace lighter::host::dist {

struct StrategyOptions {
  std::string name = "auto";  // "auto" or "ddp"
  DdpOptions ddp;
  std::chrono::seconds timeout{1800};  // torch.distributed's default process-group timeout
};

class DdpStrategy : public Object {
 public:
  explicit DdpStrategy(StrategyOptions options) : options_(std::move(options)) {}
  Kind kind() const override { return Kind::Other; }
  const StrategyOptions& options() const { return options_; }

 private:
  StrategyOptions options_;
};

// The strategy names a string may give, with what each means.
StrategyOptions strategy_from_name(const std::string& name);
// Empty when `name` is a strategy name, else what was expected.
std::string check_strategy_name(const std::string& name);

// The registry entry of `pytorch_lightning.strategies.DDPStrategy` (built into the host).
ComponentInfo ddp_strategy_component();

}  // namespace lighter::host::dist
