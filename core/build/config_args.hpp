#pragma once
// The Args a factory receives: every declared parameter resolved up front (references
// followed, nested components built, defaults filled in, types checked).
#include <map>
#include <string>
#include <vector>

#include "build/builder.hpp"
#include "lighter/args.hpp"
#include "lighter/params.hpp"

namespace lighter::host {

// A component list parameter named `params` may hold torch.optim's parameter groups, plain tables
// `{params = <module>, lr = ...}`: objects(key) are the groups' modules and value(key) a list,
// aligned with them, of each group's other keys (an empty table for a module given directly).
class ConfigArgs : public Args {
 public:
  static constexpr const char* kGroupKey = "params";

  ConfigArgs(Builder& builder, const cfg::Node& table, const std::string& path, const ComponentInfo& info);

  Value value(const std::string& key) const override;
  ObjectPtr object(const std::string& key) const override;
  std::vector<ObjectPtr> objects(const std::string& key) const override;
  std::vector<std::string> object_names(const std::string& key) const override;

 private:
  void resolve(Builder& builder, const cfg::Node* node, const Param& param, const cfg::Node& table);
  bool take_null(Builder& builder, const cfg::Node& node, const Param& param, const std::string& key_path);
  bool is_group(Builder& builder, const cfg::Node& item, const Param& param) const;
  Value group_options(Builder& builder, const cfg::Node& group, const std::string& path) const;
  [[noreturn]] void undeclared(const std::string& key) const;

  std::map<std::string, Value> values_;
  std::map<std::string, ObjectPtr> objects_;
  std::map<std::string, std::vector<ObjectPtr>> lists_;
  std::map<std::string, std::vector<std::string>> names_;  // keys of tables of components
  bool none_means_default_ = false;  // Lightning's Trainer: every None argument means its default
};

}  // namespace lighter::host
