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

class ConfigArgs : public Args {
 public:
  ConfigArgs(Builder& builder, const cfg::Node& table, const std::string& path, const ComponentInfo& info);

  Value value(const std::string& key) const override;
  ObjectPtr object(const std::string& key) const override;
  std::vector<ObjectPtr> objects(const std::string& key) const override;
  std::vector<std::string> object_names(const std::string& key) const override;

 private:
  void resolve(Builder& builder, const cfg::Node* node, const Param& param, const cfg::Node& table);
  bool take_null(Builder& builder, const cfg::Node& node, const Param& param, const std::string& key_path);
  [[noreturn]] void undeclared(const std::string& key) const;

  std::map<std::string, Value> values_;
  std::map<std::string, ObjectPtr> objects_;
  std::map<std::string, std::vector<ObjectPtr>> lists_;
  std::map<std::string, std::vector<std::string>> names_;  // keys of tables of components
  bool none_means_default_ = false;  // Lightning's Trainer: every None argument means its default
};

}  // namespace lighter::host
