#pragma once
// Turns a composed config tree into built components: looks up `_target_` in the registry,
// validates the table against the component's declared parameters, resolves `@references`
// (one shared instance per path, cycles reported with their chain) and calls the factory.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "build/expand.hpp"  // reference_path
#include "config/error.hpp"
#include "config/node.hpp"
#include "lighter/object.hpp"
#include "lighter/value.hpp"
#include "plugins/registry.hpp"

namespace lighter::host {

// A factory failed for a reason other than its config (exit code 1, not 2).
class BuildError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown past a component whose config errors were recorded (Builder::collect_errors): its
// parents fail without adding a line of their own.
class ReportedConfigError : public cfg::ConfigError {
 public:
  explicit ReportedConfigError(const std::string& path)
      : cfg::ConfigError("could not be built (its config errors were reported)", path) {}
};

class Builder {
 public:
  Builder(const cfg::Node& root, const ComponentRegistry& registry);

  // The component at `path` ("model", "trainer::callbacks::0"), built once and shared.
  // `default_target` applies when the table has no `_target_` (the `[trainer]` table).
  // Returns null for a null or `_disabled_` node.
  ObjectPtr build(const std::string& path, std::optional<Kind> kind, const std::string& default_target = "");
  // A component of type `target` with all its defaults, not from the config (the trainer's
  // default logger and checkpoint callback); `path` names it in messages.
  ObjectPtr build_default(const std::string& target, const std::string& path, Kind kind);
  // Lighter's plain list (or table) of metrics where one metric is expected: a
  // torchmetrics.MetricCollection of them, built once for `path`.
  ObjectPtr build_metric_collection(const cfg::Node& metrics, const std::string& path);
  // The plain value at `path` with references resolved.
  Value plain(const std::string& path);
  bool exists(const std::string& path) const;

  // From here on a component with config errors records them (at most ConfigErrors::kMaxReported,
  // then the build stops with a ConfigErrors) and its siblings are still built, so that a run
  // reports every error at once. errors() are those recorded, in the order found.
  void collect_errors() { collecting_ = true; }
  const std::vector<cfg::ConfigError>& errors() const { return errors_; }
  // Records `error` while collecting (nothing for a ReportedConfigError); rethrows it otherwise.
  // Call it from a catch block.
  void report(const cfg::ConfigError& error);

  // The library that made an object (for objects it makes later, like optimizers).
  LibraryPtr library_of(const Object* object) const;

 private:
  friend class ConfigArgs;
  struct Resolved {  // a node after following references: its path and node
    std::string path;
    const cfg::Node* node;
  };

  const cfg::Node& node_at(const std::string& path) const;
  Resolved follow(const cfg::Node& node, const std::string& path);
  bool is_component(const cfg::Node& node) const;
  ObjectPtr build_node(const cfg::Node& node, const std::string& path, std::optional<Kind> kind,
                       const std::string& default_target);
  cfg::Node without_model_optimizer(const cfg::Node& table, const std::string& path, const ComponentInfo& info);
  ObjectPtr construct(const cfg::Node& table, const std::string& path, const ComponentEntry& entry);
  Value to_value(const cfg::Node& node, const std::string& path);
  void record(const cfg::ConfigError& error);
  // An error after which building cannot go on (a spent budget): thrown with those recorded.
  [[noreturn]] void fatal(const cfg::ConfigError& error);
  void enter(const std::string& path, const cfg::Location& where);
  void leave();

  const cfg::Node& root_;
  const ComponentRegistry& registry_;
  std::map<std::string, ObjectPtr> built_;
  std::map<const Object*, LibraryPtr> origin_;
  std::vector<std::string> active_;  // paths being resolved, for cycle reports
  bool collecting_ = false;
  std::vector<cfg::ConfigError> errors_;
  std::set<std::string> failed_;     // paths of components that failed (not built again)
  size_t values_made_ = 0;           // by to_value, bounded: references can copy lists of lists
};

}  // namespace lighter::host
