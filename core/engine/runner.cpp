#include "engine/runner.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <map>
#include <random>

#include "build/builder.hpp"
#include "build/expand.hpp"
#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/print.hpp"
#include "dist/cluster.hpp"
#include "dist/local_ranks.hpp"
#include "dist/session.hpp"
#include "dist/strategy.hpp"
#include "engine/checkpoint.hpp"
#include "engine/interrupt.hpp"
#include "engine/results_table.hpp"
#include "engine/run_dir.hpp"
#include "engine/stage_args.hpp"
#include "engine/trainer.hpp"
#include "lighter/data.hpp"
#include "lighter/logger.hpp"
#include "lighter/model.hpp"
#include "plugins/boundary.hpp"
#include "plugins/discovery.hpp"
#include "internal.hpp"

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
  // Ranks started by torchrun or SLURM must shuffle alike: their shared run id gives the seed.
  for (const char* name : {"TORCHELASTIC_RUN_ID", "SLURM_JOB_ID"})
    if (const char* run = std::getenv(name); run && (std::getenv("RANK") || std::getenv("SLURM_PROCID"))) {
      const uint64_t seed = std::hash<std::string>{}(run) % (uint64_t{1} << 32);
      spdlog::info("no seed set (config `seed`, PL_GLOBAL_SEED or LIGHTER_SEED); every rank uses seed {} from {}", seed, name);
      return seed;
    }
  const uint64_t seed = std::random_device{}();
  spdlog::info("no seed set (config `seed`, PL_GLOBAL_SEED or LIGHTER_SEED); using seed {}", seed);
  return seed;
}

ComponentRegistry load_all_plugins() {
  ComponentRegistry registry = load_registry(discover_plugins(current_executable(), std::filesystem::current_path()));
  registry.add_builtin(trainer_component());
  registry.add_builtin(dist::ddp_strategy_component());
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

// Builds one top-level part; its config errors are recorded in the builder (null returned) so
// that the other parts are still checked.
template <class Build>
auto reporting(Builder& builder, Build build) -> decltype(build()) {
  try {
    return build();
  } catch (const cfg::ConfigError& e) {
    builder.report(e);
    return nullptr;
  }
}

constexpr const char* kCsvLogger = "pytorch_lightning.loggers.CSVLogger";
constexpr const char* kModelCheckpoint = "pytorch_lightning.callbacks.ModelCheckpoint";

// Lightning's defaults: a CSV logger when `logger = true`, a ModelCheckpoint when checkpointing
// is on and none is configured.
void add_defaults(Builder& builder, const ComponentRegistry& registry, PlTrainer& trainer) {
  if (trainer.options().default_logger && trainer.options().loggers.empty() && registry.find(kCsvLogger))
    trainer.add_logger(std::dynamic_pointer_cast<Logger>(builder.build_default(kCsvLogger, "trainer::logger", Kind::Logger)));
  const auto& callbacks = trainer.options().callbacks;
  const bool has_checkpoint = std::any_of(callbacks.begin(), callbacks.end(), [](const auto& c) { return c->target() == kModelCheckpoint; });
  if (trainer.options().enable_checkpointing && !has_checkpoint && registry.find(kModelCheckpoint))
    trainer.add_callback(
        std::dynamic_pointer_cast<Callback>(builder.build_default(kModelCheckpoint, "trainer::callbacks", Kind::Callback)));
}

void run(const std::string& stage, PlTrainer& trainer, Model& model, DataModule& data, const StageArgs& stage_args,
         const std::optional<PlTrainer::Resume>& checkpoint);

constexpr const char* kBeforeRun = "before the run started (nothing was written)";

// The loaders are plain config (LighterDataModule's `train_dataloader`, ...): a stage without
// its loader is a config error, found before the run directory exists. A data module that
// makes its loaders in setup() declares no such parameter and is checked when the stage runs.
void require_stage_loaders(const std::string& stage, DataModule& data, const ComponentRegistry& registry,
                           const cfg::Node& config) {
  const std::map<std::string, std::string> needed = {
      {"fit", "train_dataloader"}, {"validate", "val_dataloader"}, {"test", "test_dataloader"}, {"predict", "predict_dataloader"}};
  const std::string& key = needed.at(stage);
  const ComponentEntry* entry = registry.find(data.target());
  if (!entry) return;
  const auto& params = entry->info.params;
  if (std::none_of(params.begin(), params.end(), [&](const Param& p) { return p.name == key; })) return;
  const bool has_loader = call_plugin(data, key.c_str(), [] { return std::string("before the run"); }, [&] {
    if (key == "train_dataloader") return data.train_dataloader() != nullptr;
    if (key == "val_dataloader") return data.val_dataloader() != nullptr;
    if (key == "test_dataloader") return data.test_dataloader() != nullptr;
    return data.predict_dataloader() != nullptr;
  });
  if (has_loader) return;
  const cfg::Node* table = config.find("data");
  throw cfg::ConfigError(stage + " needs data::" + key + ", which is not set (or is null or disabled)", "data::" + key,
                         table ? table->loc : cfg::Location{},
                         "add a [data." + key + "] table with _target_ = \"torch.utils.data.DataLoader\"");
}

// This process's part of a multi-process run: the local ranks it started (lighter's launcher)
// and its process group. Destroyed in reverse order: the group first, so ranks still running
// see this one gone at once, then the local ranks are waited for.
struct Ranks {
  std::unique_ptr<dist::LocalRanks> local;
  std::unique_ptr<dist::Session> session;
  Ranks() = default;
  Ranks(Ranks&&) = default;
  ~Ranks() {
    if (session) lighter::internal::set_collectives(nullptr);
  }
};

Ranks join_ranks(PlTrainer& trainer, uint64_t seed) {
  Ranks ranks;
  const TrainerOptions& o = trainer.options();
  const int64_t devices = o.devices_per_node();
  dist::ClusterEnv env;
  try {
    env = dist::read_cluster_env(devices, o.num_nodes);
  } catch (const std::invalid_argument& e) {
    throw cfg::ConfigError(e.what(), "trainer::devices");
  }
  if (env.world_size == 1) return ranks;
  if (env.starts_local_ranks()) {
    if (env.master_port == 0) env.master_port = dist::free_port();
    ranks.local = std::make_unique<dist::LocalRanks>();
    ranks.local->start(env.local_world_size, {{"MASTER_ADDR", env.master_addr},
                                              {"MASTER_PORT", std::to_string(env.master_port)},
                                              {"NODE_RANK", std::to_string(env.node_rank)},
                                              {"PL_GLOBAL_SEED", std::to_string(seed)}});
    spdlog::info("DDP: started local ranks 1 to {} ({} processes on {} node(s))", env.local_world_size - 1,
                 env.world_size, o.num_nodes);
  }
  if (env.global_rank != 0) {
    spdlog::set_pattern(fmt::format("[rank {}] [%l] %v", env.global_rank));
    if (spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
  }
  ranks.session = std::make_unique<dist::Session>(env, o.strategy.timeout);
  lighter::internal::set_collectives(ranks.session.get());
  trainer.set_session(ranks.session.get());
  return ranks;
}

// Ends the loggers after a failure without hiding the failure.
void finalize_after_failure(PlTrainer& trainer, const std::string& status) {
  try {
    trainer.finalize(status);
  } catch (...) {
    spdlog::warn("finishing the loggers after the failure failed too: {}", current_exception_text());
  }
}

}  // namespace

int run_stage(const std::string& stage, const std::vector<std::string>& inputs, const StageFlags& flags) {
  cfg::Format format = cfg::Format::Toml;
  cfg::Node config = cfg::load_inputs(inputs, &format, /*run_layout=*/true);
  apply_flags(config, stage, flags);
  const StageArgs stage_args = read_stage_args(config, stage);
  for (const auto& key : cfg::unknown_top_level_keys(config))
    spdlog::warn("top-level key '{}' has no meaning to lighter (kept, usable as a macro source)", key);
  if (flags.print_config) {
    const bool yaml = flags.print_format ? *flags.print_format == "yaml" : format == cfg::Format::Yaml;
    std::fputs(cfg::to_text(expand_plain_references(config), yaml ? cfg::Format::Yaml : cfg::Format::Toml).c_str(), stdout);
    return 0;
  }

  const uint64_t seed = choose_seed(config);
  torch::manual_seed(seed);
  ComponentRegistry registry = load_all_plugins();
  check_interrupt(kBeforeRun);
  Builder builder(config, registry);
  builder.collect_errors();
  auto model = reporting(builder, [&] { return require<Model>(builder, "model", Kind::Model, "_target_ = \"lighter.SupervisedModule\""); });
  auto trainer = reporting(builder, [&] {
    auto built = std::dynamic_pointer_cast<PlTrainer>(builder.build("trainer", Kind::Trainer, "pytorch_lightning.Trainer"));
    if (!built) throw cfg::ConfigError("the trainer must be pytorch_lightning.Trainer", "trainer");
    return built;
  });
  auto data = reporting(builder, [&] { return require<DataModule>(builder, "data", Kind::DataModule, "_target_ = \"lighter.LighterDataModule\""); });
  if (!builder.errors().empty()) throw cfg::ConfigErrors(builder.errors());
  add_defaults(builder, registry, *trainer);
  require_stage_loaders(stage, *data, registry, config);
  check_interrupt(kBeforeRun);
  if (flags.dry_run) {
    spdlog::info("dry run: model {}, data {} and trainer built; nothing was run", model->target(), data->target());
    return 0;
  }

  Ranks ranks = join_ranks(*trainer, seed);
  std::optional<PlTrainer::Resume> checkpoint;
  if (stage_args.ckpt_path) {
    const auto file = resolve_ckpt_path(*stage_args.ckpt_path, trainer->options().default_root_dir);
    spdlog::info("loading checkpoint {}", file.string());
    checkpoint = PlTrainer::Resume{read_checkpoint(file), file, stage_args.weights_only};
    if (stage == "fit") check_resumable(*model, checkpoint->checkpoint, file, stage_args.weights_only);
    else load_model_state(*model, checkpoint->checkpoint, file);
  }
  check_interrupt(kBeforeRun);
  // TOML has no null: a TOML run whose config holds one (a `null` override) is saved as YAML.
  if (format == cfg::Format::Toml && cfg::holds_null(config)) format = cfg::Format::Yaml;
  const std::string config_file = format == cfg::Format::Yaml ? "config.yaml" : "config.toml";
  const std::string config_toml = cfg::to_text(config, format);
  trainer->set_config(config_to_ivalue(config));
  if (trainer->options().fast_dev_run == 0) {
    std::filesystem::path dir;
    if (trainer->global_rank() == 0) {
      dir = create_run_dir(trainer->options().default_root_dir);
      try {
        write_file_atomic(dir / config_file, config_toml);
      } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(dir, ignored);  // still empty: no run directory without its config
        throw;
      }
    }
    if (ranks.session) dir = ranks.session->share("run_dir", dir.string());  // the version rank 0 created
    trainer->set_log_dir(dir, config_toml);
    spdlog::info("run directory: {}", dir.string());
  }
  try {
    run(stage, *trainer, *model, *data, stage_args, checkpoint);
    check_interrupt("after the last step");
  } catch (const Interrupted&) {
    finalize_after_failure(*trainer, "interrupted");
    throw;
  } catch (...) {
    finalize_after_failure(*trainer, "failed");
    throw;
  }
  trainer->finalize("success");
  if (ranks.local) {
    const int code = ranks.local->wait();
    if (code != 0)
      throw std::runtime_error("DDP: a local rank ended with exit code " + std::to_string(code) +
                               " (its error is above); the run did not complete on every rank");
  }
  check_interrupt("after the run finished");
  return 0;
}

namespace {

void run(const std::string& stage, PlTrainer& trainer, Model& model, DataModule& data, const StageArgs& stage_args,
         const std::optional<PlTrainer::Resume>& checkpoint) {
  if (stage == "fit") {
    trainer.fit(model, data, checkpoint);
  } else if (stage == "validate" || stage == "test") {
    auto results = stage == "validate" ? trainer.validate(model, data) : trainer.test(model, data);
    if (stage_args.verbose) std::fputs(results_table(stage, results).c_str(), stdout);
  } else {
    auto predictions = trainer.predict(model, data, stage_args.return_predictions);
    spdlog::info("predict: {} batches of predictions", predictions.size());
  }
}

}  // namespace

}  // namespace lighter::host
