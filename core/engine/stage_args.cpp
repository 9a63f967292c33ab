#include "engine/stage_args.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "config/error.hpp"
#include "config/keypath.hpp"

namespace lighter::host {

namespace {

const std::map<std::string, std::vector<std::string>>& stage_keys() {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"fit", {"ckpt_path", "weights_only"}},
      {"validate", {"ckpt_path", "weights_only", "verbose"}},
      {"test", {"ckpt_path", "weights_only", "verbose"}},
      {"predict", {"ckpt_path", "weights_only", "return_predictions"}},
  };
  return keys;
}

std::vector<std::string> stage_names() {
  std::vector<std::string> names;
  for (const auto& [name, keys] : stage_keys()) names.push_back(name);
  return names;
}

}  // namespace

void apply_flags(cfg::Node& root, const std::string& stage, const StageFlags& flags) {
  auto set = [&](const std::string& key, cfg::Node value) {
    value.loc = cfg::Location{"<command line>"};
    cfg::Node* args = root.find("args");
    if (!args) args = &root.set("args", cfg::Node::make_table({}, value.loc));
    cfg::Node* stage_table = args->find(stage);
    if (!stage_table) stage_table = &args->set(stage, cfg::Node::make_table({}, value.loc));
    stage_table->set(key, std::move(value));
  };
  if (flags.ckpt_path) set("ckpt_path", cfg::Node::make_string(*flags.ckpt_path));
  if (flags.weights_only) set("weights_only", cfg::Node::make_bool(*flags.weights_only));
  if (flags.verbose) set("verbose", cfg::Node::make_bool(*flags.verbose));
  if (flags.return_predictions) set("return_predictions", cfg::Node::make_bool(*flags.return_predictions));
}

StageArgs read_stage_args(const cfg::Node& root, const std::string& stage) {
  StageArgs out;
  const cfg::Node* args = root.find("args");
  if (!args) return out;
  if (!args->is_table()) throw cfg::ConfigError("expected a table of stages, got " + std::string(args->type_name()), "args", args->loc);
  for (const auto& [name, table] : args->table()) {
    auto known = stage_keys().find(name);
    if (known == stage_keys().end())
      throw cfg::ConfigError("unknown stage", "args::" + name, table.loc, cfg::suggest(name, stage_names()));
    if (!table.is_table())
      throw cfg::ConfigError("expected a table of arguments, got " + std::string(table.type_name()), "args::" + name, table.loc);
    for (const auto& [key, value] : table.table()) {
      const std::string path = "args::" + name + "::" + key;
      const auto& keys = known->second;
      if (std::find(keys.begin(), keys.end(), key) == keys.end())
        throw cfg::ConfigError("unknown argument of Trainer." + name + "()", path, value.loc,
                               cfg::suggest(key, keys).empty() ? "it accepts " + cfg::quoted_list(keys) : cfg::suggest(key, keys));
      if (value.is_null()) continue;  // None: the stage's default, as in Lightning
      const bool is_path = key == "ckpt_path";
      if (is_path ? !value.is_string() : !value.is_bool())
        throw cfg::ConfigError(std::string("expected ") + (is_path ? "a string (last, best or a path)" : "true or false") +
                                   ", got " + std::string(value.type_name()),
                               path, value.loc);
      if (name != stage) continue;
      if (key == "ckpt_path") out.ckpt_path = value.as_string();
      if (key == "weights_only") out.weights_only = value.as_bool();
      if (key == "verbose") out.verbose = value.as_bool();
      if (key == "return_predictions") out.return_predictions = value.as_bool();
    }
  }
  return out;
}

}  // namespace lighter::host
