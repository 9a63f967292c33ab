#include "engine/runner.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "build/builder.hpp"
#include "build/expand.hpp"
#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/print.hpp"
#include "engine/interrupt.hpp"
#include "engine/results_table.hpp"
#include "engine/run_dir.hpp"
#include "engine/stage_args.hpp"
#include "engine/trainer.hpp"
#include "lighter/data.hpp"
#include "lighter/model.hpp"
#include "plugins/discovery.hpp"

namespace lighter::host {

namespace {

uint64_t choose_seed(const cfg::Node& root) {
  if (const cfg::Node* seed = root.find("seed")) {
    if (!seed->is_int() || seed->as_int() < 0)
      throw cfg::ConfigError("expected a non-negative integer seed, got " + std::string(seed->type_name()), "seed", seed->loc);
    return static_cast<uint64_t>(seed->as_int());
  }
  for (const char* name : {"PL_GLOBAL_SEED", "LIGHTER_SEED"})
    if (const char* value = std::getenv(name)) {
      try {
        size_t used = 0;
        const auto seed = std::stoull(value, &used);
        if (used == std::string(value).size()) return seed;
      } catch (const std::exception&) {
      }
      throw cfg::ConfigError(std::string("environment variable ") + name + "='" + value + "' is not a non-negative integer seed");
    }
  const uint64_t seed = std::random_device{}();
  spdlog::info("no seed set (config `seed`, PL_GLOBAL_SEED or LIGHTER_SEED); using seed {}", seed);
  return seed;
}

ComponentRegistry load_all_plugins() {
  ComponentRegistry registry = load_registry(discover_plugins(current_executable(), std::filesystem::current_path()));
  registry.add_builtin(trainer_component());
  return registry;
}

template <class T>
std::shared_ptr<T> require(Builder& builder, const std::string& key, Kind kind, const std::string& example) {
  if (!builder.exists(key))
    throw cfg::ConfigError("missing required top-level key '" + key + "'", key, {}, "add a [" + key + "] table, e.g. " + example);
  auto object = std::dynamic_pointer_cast<T>(builder.build(key, kind));
  if (!object) throw cfg::ConfigError("'" + key + "' is disabled, but the stage needs it", key);
  return object;
}

}  // namespace

int run_stage(const std::string& stage, const std::vector<std::string>& inputs, const StageFlags& flags) {
  cfg::Node config = cfg::load_inputs(inputs);
  apply_flags(config, stage, flags);
  const StageArgs stage_args = read_stage_args(config, stage);
  for (const auto& key : cfg::unknown_top_level_keys(config))
    spdlog::warn("top-level key '{}' has no meaning to lighter (kept, usable as a macro source)", key);
  if (flags.print_config) {
    std::fputs(cfg::to_toml(expand_plain_references(config)).c_str(), stdout);
    return 0;
  }
  if (stage_args.ckpt_path)
    throw cfg::ConfigError("loading checkpoints is not supported by this build yet", "args::" + stage + "::ckpt_path");

  const uint64_t seed = choose_seed(config);
  torch::manual_seed(seed);
  ComponentRegistry registry = load_all_plugins();
  Builder builder(config, registry);
  auto model = require<Model>(builder, "model", Kind::Model, "_target_ = \"lighter.SupervisedModule\"");
  auto trainer = std::dynamic_pointer_cast<PlTrainer>(builder.build("trainer", Kind::Trainer, "pytorch_lightning.Trainer"));
  if (!trainer) throw cfg::ConfigError("the trainer must be pytorch_lightning.Trainer", "trainer");
  auto data = require<DataModule>(builder, "data", Kind::DataModule, "_target_ = \"lighter.LighterDataModule\"");
  if (flags.dry_run) {
    spdlog::info("dry run: model {}, data {} and trainer built; nothing was run", model->target(), data->target());
    return 0;
  }

  install_interrupt_handlers();
  if (trainer->options().fast_dev_run == 0) {
    const auto dir = create_run_dir(trainer->options().default_root_dir);
    write_file_atomic(dir / "config.toml", cfg::to_toml(config));
    trainer->set_log_dir(dir);
    spdlog::info("run directory: {}", dir.string());
  }
  if (stage == "fit") {
    trainer->fit(*model, *data);
  } else if (stage == "validate" || stage == "test") {
    auto results = stage == "validate" ? trainer->validate(*model, *data) : trainer->test(*model, *data);
    if (stage_args.verbose) std::fputs(results_table(stage, results).c_str(), stdout);
  } else {
    auto predictions = trainer->predict(*model, *data, stage_args.return_predictions);
    spdlog::info("predict: {} batches of predictions", predictions.size());
  }
  return 0;
}

}  // namespace lighter::host
