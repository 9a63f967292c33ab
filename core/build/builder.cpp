#include "build/builder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "build/config_args.hpp"
#include "build/validate.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/limits.hpp"
#include "config/print.hpp"
#include "lighter/args.hpp"

namespace lighter::host {

Builder::Builder(const cfg::Node& root, const ComponentRegistry& registry) : root_(root), registry_(registry) {}

bool Builder::exists(const std::string& path) const {
  return cfg::find_path(root_, cfg::split_key_path(path)) != nullptr;
}

const cfg::Node& Builder::node_at(const std::string& path) const {
  const auto parts = cfg::split_key_path(path);
  const cfg::Node* node = &root_;
  std::string walked;
  for (const auto& part : parts) {
    const cfg::Node* next = cfg::find_path(*node, {part});
    if (!next) {
      std::string what = walked.empty() ? "the config" : "'" + walked + "'";
      std::string hint = node->is_table() ? cfg::suggest(part, node->keys())
                         : node->is_array() ? "it has " + std::to_string(node->array().size()) + " items"
                                            : "it is a " + std::string(node->type_name());
      throw cfg::ConfigError("reference '@" + path + "' points to nothing: " + what + " has no '" + part + "'",
                             active_.empty() ? path : active_.back(), node->loc, hint);
    }
    node = next;
    walked = cfg::join_key_path(walked, part);
  }
  return *node;
}

void Builder::enter(const std::string& path, const cfg::Location& where) {
  if (active_.size() >= cfg::kMaxChain)
    throw cfg::ConfigError("components and references nest through more than " + std::to_string(cfg::kMaxChain) +
                               " levels (" + active_.front() + " -> ... -> " + path + ")",
                           path, where, cfg::kFlattenHint);
  auto it = std::find(active_.begin(), active_.end(), path);
  if (it != active_.end()) {
    std::string chain;
    for (; it != active_.end(); ++it) chain += *it + " -> ";
    throw cfg::ConfigError("reference cycle: " + chain + path, path, where,
                           "break the cycle: a component cannot depend on itself");
  }
  active_.push_back(path);
}

void Builder::leave() { active_.pop_back(); }

Builder::Resolved Builder::follow(const cfg::Node& node, const std::string& path) {
  Resolved at{path, &node};
  std::vector<std::string> seen{path};
  while (auto target = reference_path(*at.node)) {
    if (std::find(seen.begin(), seen.end(), *target) != seen.end()) {
      std::string chain;
      for (const auto& p : seen) chain += p + " -> ";
      throw cfg::ConfigError("reference cycle: " + chain + *target, path, node.loc,
                             "break the cycle: a reference cannot point back to itself");
    }
    if (seen.size() > cfg::kMaxChain)
      throw cfg::ConfigError("references point through more than " + std::to_string(cfg::kMaxChain) + " others (" +
                                 path + " -> " + seen[1] + " -> ... -> " + *target + ")",
                             path, node.loc, "point at the value itself");
    seen.push_back(*target);
    active_.push_back(at.path);
    const cfg::Node& next = node_at(*target);
    active_.pop_back();
    at = Resolved{*target, &next};
  }
  return at;
}

void Builder::report(const cfg::ConfigError& error) {
  if (!collecting_ || dynamic_cast<const cfg::ConfigErrors*>(&error)) throw;
  if (!dynamic_cast<const ReportedConfigError*>(&error)) record(error);
}

void Builder::fatal(const cfg::ConfigError& error) {
  if (!collecting_) throw error;
  errors_.push_back(error);
  throw cfg::ConfigErrors(errors_);  // a spent budget would fail everything after it
}

void Builder::record(const cfg::ConfigError& error) {
  const std::string line = error.what();
  for (const auto& known : errors_)
    if (line == known.what()) return;
  errors_.push_back(error);
  if (errors_.size() >= cfg::ConfigErrors::kMaxReported) throw cfg::ConfigErrors(errors_, true);
}

bool Builder::is_component(const cfg::Node& node) const { return node.is_table() && node.find("_target_"); }

LibraryPtr Builder::library_of(const Object* object) const {
  auto it = origin_.find(object);
  return it == origin_.end() ? nullptr : it->second;
}

ObjectPtr Builder::build(const std::string& path, std::optional<Kind> kind, const std::string& default_target) {
  const cfg::Node* node = cfg::find_path(root_, cfg::split_key_path(path));
  if (!node) {
    if (default_target.empty()) return nullptr;
    static const cfg::Node empty = cfg::Node::make_table();
    return build_node(empty, path, kind, default_target);
  }
  return build_node(*node, path, kind, default_target);
}

ObjectPtr Builder::build_node(const cfg::Node& node, const std::string& path, std::optional<Kind> kind,
                              const std::string& default_target) {
  const Resolved at = follow(node, path);
  if (auto it = built_.find(at.path); it != built_.end()) {
    check_kind(it->second, kind, path, node.loc);
    return it->second;
  }
  const cfg::Node& table = *at.node;
  if (table.is_null()) return nullptr;
  if (!table.is_table() || (!table.find("_target_") && default_target.empty()))
    throw cfg::ConfigError("expected a component (a table with _target_), got " +
                               (table.is_table() ? std::string("a table without _target_") : std::string(table.type_name())),
                           path, table.loc, kind ? "set _target_ to a " + std::string(kind_name(*kind)) + " component" : "");
  if (is_disabled(table, at.path)) return nullptr;

  std::string target = default_target;
  if (const cfg::Node* t = table.find("_target_")) {
    if (!t->is_string()) throw cfg::ConfigError("_target_ must be a string", at.path + "::_target_", t->loc);
    target = t->as_string();
  }
  const ComponentEntry* entry = registry_.find(target);
  if (!entry) {
    const cfg::Node* t = table.find("_target_");
    throw cfg::ConfigError("unknown _target_ '" + target + "'", at.path + "::_target_", t ? t->loc : table.loc,
                           unknown_target_hint(target, registry_));
  }
  if (kind && entry->info.kind != *kind)
    throw cfg::ConfigError(target + " is a " + kind_name(entry->info.kind) + ", but " + at.path + " needs a " +
                               kind_name(*kind),
                           at.path, table.loc);
  if (failed_.count(at.path)) throw ReportedConfigError(at.path);
  enter(at.path, table.loc);
  ObjectPtr object;
  try {
    object = construct(table, at.path, *entry);
  } catch (const cfg::ConfigError&) {
    leave();
    if (collecting_) failed_.insert(at.path);
    throw;
  } catch (...) {
    leave();
    throw;
  }
  leave();
  built_[at.path] = object;
  return object;
}

// Lighter writes a scheduler's `optimizer = "@model::optimizer"`: the model hands its optimizer
// to its scheduler, so that reference is accepted (and dropped) and any other is an error.
cfg::Node Builder::without_model_optimizer(const cfg::Node& table, const std::string& path, const ComponentInfo& info) {
  const cfg::Node* given = table.find("optimizer");
  cfg::Node copy = table;
  copy.table().erase(std::remove_if(copy.table().begin(), copy.table().end(),
                                    [](const auto& entry) { return entry.first == "optimizer"; }),
                     copy.table().end());
  std::string owner = path, expected;
  while (expected.empty() && !owner.empty()) {
    const size_t cut = owner.rfind("::");
    owner = cut == std::string::npos ? std::string() : owner.substr(0, cut);
    const std::string candidate = cfg::join_key_path(owner, "optimizer");
    if (const cfg::Node* node = cfg::find_path(root_, cfg::split_key_path(candidate)); node && is_component(*node))
      expected = candidate;
  }
  const std::string key_path = cfg::join_key_path(path, "optimizer");
  const auto target = reference_path(*given);
  if (!expected.empty() && target && follow(*given, key_path).path == follow(node_at(expected), expected).path)
    return copy;
  throw cfg::ConfigError(
      info.name + "'s optimizer is the model's own optimizer" +
          (expected.empty() ? std::string(", and this config has none") : " ('@" + expected + "')") + "; got " +
          (given->is_string() ? "'" + given->as_string() + "'" : std::string(given->type_name())),
      key_path, given->loc,
      expected.empty() ? "give the model an optimizer, or drop this key"
                       : "write optimizer = \"@" + expected + "\" or leave the key out");
}

ObjectPtr Builder::construct(const cfg::Node& source, const std::string& path, const ComponentEntry& entry) {
  const bool drops_optimizer = entry.info.kind == Kind::Scheduler && source.find("optimizer") &&
                               std::none_of(entry.info.params.begin(), entry.info.params.end(),
                                            [](const Param& p) { return p.name == "optimizer"; });
  const cfg::Node stripped = drops_optimizer ? without_model_optimizer(source, path, entry.info) : cfg::Node();
  const cfg::Node& table = drops_optimizer ? stripped : source;
  bool failed = false;
  validate_keys(table, path, entry.info, [&](const cfg::ConfigError& e) {
    failed = true;
    if (!collecting_) throw e;
    record(e);
  });
  const auto started = std::chrono::steady_clock::now();
  ConfigArgs args(*this, table, path, entry.info);
  if (failed) throw ReportedConfigError(path);
  ObjectPtr object;
  try {
    object = entry.info.factory(args);
  } catch (const cfg::ConfigError&) {
    throw;
  } catch (const ParamError& e) {
    const cfg::Node* at = cfg::find_path(root_, cfg::split_key_path(e.key_path()));
    throw cfg::ConfigError(e.message(), e.key_path(), at ? at->loc : table.loc);
  } catch (const BuildError&) {
    throw;
  } catch (const std::exception& e) {
    throw BuildError(table.loc.str() + (table.loc.str().empty() ? "" : ": ") + path + ": " + entry.info.name +
                     " failed to build: " + e.what());
  }
  if (!object)
    throw BuildError(path + ": " + entry.info.name + " (from " + entry.source + ") built nothing (its factory returned null)");
  object->set_target(entry.info.name);
  spdlog::debug("built {} = {} (from {})", path, entry.info.name, entry.source);
  if (const cfg::Node* mode = table.find("_mode_"); mode && mode->is_string() && mode->as_string() == "debug")
    spdlog::info("_mode_ = debug: built {} = {} (from {}) in {:.1f} ms from\n{}", path, entry.info.name, entry.source,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count(),
                 cfg::to_yaml(table));
  object = tie_to_library(std::move(object), entry.library);
  if (entry.library) origin_[object.get()] = entry.library;
  return object;
}

ObjectPtr Builder::build_default(const std::string& target, const std::string& path, Kind kind) {
  static const cfg::Node empty = cfg::Node::make_table();
  return build_node(empty, path, kind, target);
}

ObjectPtr Builder::build_metric_collection(const cfg::Node& metrics, const std::string& path) {
  if (auto it = built_.find(path); it != built_.end()) return it->second;
  static const std::string kCollection = "torchmetrics.MetricCollection";
  const ComponentEntry* entry = registry_.find(kCollection);
  if (!entry)
    throw cfg::ConfigError("a list of metrics is made a " + kCollection + ", which no loaded plugin provides", path,
                           metrics.loc, "give one metric, or load the torchmetrics plugin");
  const cfg::Node table = cfg::Node::make_table(
      {{"_target_", cfg::Node::make_string(kCollection, metrics.loc)}, {"metrics", metrics}}, metrics.loc);
  enter(path, metrics.loc);
  ObjectPtr object;
  try {
    object = construct(table, path, *entry);
  } catch (...) {
    leave();
    throw;
  }
  leave();
  built_[path] = object;
  return object;
}

Value Builder::to_value(const cfg::Node& node, const std::string& path) {
  if (++values_made_ > cfg::kMaxCopiedValues)
    fatal(cfg::ConfigError("references copy more than " + std::to_string(cfg::kMaxCopiedValues) +
                               " values in all (does a list refer to another that refers to it?)",
                           path, node.loc, cfg::kFlattenHint));
  const Resolved at = follow(node, path);
  const cfg::Node& n = *at.node;
  if (at.path != path) {
    if (is_component(n))
      throw cfg::ConfigError("'" + node.as_string() + "' refers to a component, but a plain value is expected here", path,
                             node.loc);
    enter(at.path, node.loc);
    Value v;
    try {
      v = to_value(n, at.path);
    } catch (...) {
      leave();
      throw;
    }
    leave();
    return v;
  }
  switch (n.type()) {
    case cfg::Node::Type::Null: return Value();
    case cfg::Node::Type::Bool: return Value(n.as_bool());
    case cfg::Node::Type::Int: return Value(static_cast<int64_t>(n.as_int()));
    case cfg::Node::Type::Float: return Value(n.as_float());
    case cfg::Node::Type::String: return Value(n.as_string());
    case cfg::Node::Type::Array: {
      Value::Array items;
      for (size_t i = 0; i < n.array().size(); ++i)
        items.push_back(to_value(n.array()[i], cfg::join_key_path(path, std::to_string(i))));
      return Value(std::move(items));
    }
    case cfg::Node::Type::Table: {
      if (is_component(n))
        throw cfg::ConfigError("a component (_target_ '" + (n.find("_target_")->is_string() ? n.find("_target_")->as_string() : "?") +
                                   "') is not allowed here; a plain value is expected",
                               path, n.loc);
      Value::Table entries;
      for (const auto& [k, v] : n.table()) entries.emplace_back(k, to_value(v, cfg::join_key_path(path, k)));
      return Value(std::move(entries));
    }
  }
  return Value();
}

Value Builder::plain(const std::string& path) {
  const cfg::Node* node = cfg::find_path(root_, cfg::split_key_path(path));
  return node ? to_value(*node, path) : Value();
}

}  // namespace lighter::host
