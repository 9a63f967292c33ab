#include "build/expand.hpp"

#include <algorithm>
#include <vector>

#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/limits.hpp"

namespace lighter::host {

// Here rather than in builder.cpp: this file needs no plugin registry, so tools/fuzz can build it.
std::optional<std::string> reference_path(const cfg::Node& node) {
  if (!node.is_string() || node.as_string().size() < 2 || node.as_string()[0] != '@') return std::nullopt;
  return node.as_string().substr(1);
}

namespace {

bool holds_component(const cfg::Node& node) {
  if (node.is_table()) {
    if (node.find("_target_")) return true;
    for (const auto& [key, value] : node.table())
      if (holds_component(value)) return true;
  }
  if (node.is_array())
    for (const auto& item : node.array())
      if (holds_component(item)) return true;
  return false;
}

class Expander {
 public:
  explicit Expander(const cfg::Node& root) : root_(root) {}

  cfg::Node expand(const cfg::Node& node, const std::string& path) {
    if (++values_made_ > cfg::kMaxCopiedValues)
      throw cfg::ConfigError("references copy more than " + std::to_string(cfg::kMaxCopiedValues) +
                                 " values in all (does a list refer to another that refers to it?)",
                             path, node.loc, cfg::kFlattenHint);
    if (auto target = reference_path(node)) return follow(node, *target, path);
    cfg::Node out = node;
    if (out.is_table())
      for (auto& [key, value] : out.table()) value = expand(value, cfg::join_key_path(path, key));
    if (out.is_array())
      for (size_t i = 0; i < out.array().size(); ++i)
        out.array()[i] = expand(out.array()[i], cfg::join_key_path(path, std::to_string(i)));
    return out;
  }

 private:
  cfg::Node follow(const cfg::Node& reference, const std::string& target, const std::string& path) {
    const cfg::Node* node = cfg::find_path(root_, cfg::split_key_path(target));
    if (!node)
      throw cfg::ConfigError("reference '@" + target + "' points to nothing", path, reference.loc,
                             "check the path; `::` separates keys and list indices");
    if (holds_component(*node)) return reference;
    if (std::find(active_.begin(), active_.end(), target) != active_.end()) {
      std::string chain;
      for (const auto& p : active_) chain += p + " -> ";
      throw cfg::ConfigError("reference cycle: " + chain + target, path, reference.loc);
    }
    if (active_.size() >= cfg::kMaxChain)
      throw cfg::ConfigError("references point through more than " + std::to_string(cfg::kMaxChain) + " others (" +
                                 active_.front() + " -> ... -> " + target + ")",
                             path, reference.loc, "point at the value itself");
    active_.push_back(target);
    cfg::Node copy = expand(*node, target);
    active_.pop_back();
    if (const int depth = static_cast<int>(cfg::split_key_path(path).size()) + cfg::depth_of(copy); depth > cfg::kMaxNesting)
      throw cfg::ConfigError("reference '@" + target + "' makes arrays and tables nest " + std::to_string(depth) +
                                 " levels deep; lighter accepts at most " + std::to_string(cfg::kMaxNesting),
                             path, reference.loc, cfg::kFlattenHint);
    copy.loc = reference.loc;
    return copy;
  }

  const cfg::Node& root_;
  std::vector<std::string> active_;
  size_t values_made_ = 0;
};

}  // namespace

cfg::Node expand_plain_references(const cfg::Node& root) { return Expander(root).expand(root, ""); }

}  // namespace lighter::host
