#include "build/config_args.hpp"

#include "build/validate.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"

namespace lighter::host {

ConfigArgs::ConfigArgs(Builder& builder, const cfg::Node& table, const std::string& path, const ComponentInfo& info)
    : Args(info.name, path) {
  for (const auto& param : info.params) resolve(builder, table.find(param.name), param, table);
  if (info.positional) resolve(builder, table.find("_args_"), *info.positional, table);
}

void ConfigArgs::resolve(Builder& builder, const cfg::Node* node, const Param& param, const cfg::Node& table) {
  const std::string key_path = cfg::join_key_path(this->path(), param.name);
  const bool component_list = param.component_kind && accepts(param.type, Type::List);
  if (!node) {
    Value fallback = param.default_value.value_or(Value());
    if (component_list) lists_[param.name] = {};
    else if (param.component_kind) objects_[param.name] = nullptr;
    values_[param.name] = std::move(fallback);
    return;
  }
  if (param.component_kind && accepts(param.type, Type::Component) && !component_list) {
    const auto resolved = builder.follow(*node, key_path);
    if (resolved.node->is_table() || reference_path(*node)) {
      ObjectPtr object = builder.build_node(*node, key_path, param.component_kind, "");
      if (!object && !accepts(param.type, Type::Null))
        throw cfg::ConfigError(param.name + " is required by " + target() + " but is disabled", key_path, node->loc);
      objects_[param.name] = object;
      values_[param.name] = Value();
      return;
    }
  }
  if (component_list) {
    if (!node->is_array())
      throw cfg::ConfigError("expected a list of " + std::string(kind_name(*param.component_kind)) + " components, got " +
                                 std::string(node->type_name()),
                             key_path, node->loc);
    auto& list = lists_[param.name];
    for (size_t i = 0; i < node->array().size(); ++i)
      if (ObjectPtr object = builder.build_node(node->array()[i], cfg::join_key_path(key_path, std::to_string(i)),
                                                param.component_kind, ""))
        list.push_back(object);
    values_[param.name] = Value();
    return;
  }
  Value value = builder.to_value(*node, key_path);
  check_value(value, param, key_path, node->loc);
  values_[param.name] = std::move(value);
}

void ConfigArgs::undeclared(const std::string& key) const {
  throw BuildError(path() + ": " + target() + " asked for '" + key +
                   "', which it does not declare as a parameter (a bug in the component: declare it)");
}

Value ConfigArgs::value(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) undeclared(key);
  return it->second;
}

ObjectPtr ConfigArgs::object(const std::string& key) const {
  auto it = objects_.find(key);
  if (it != objects_.end()) return it->second;
  if (values_.count(key)) {
    if (values_.at(key).is_null()) return nullptr;
    fail(key, "expected a component, got " + std::string(values_.at(key).type_name()));
  }
  undeclared(key);
}

std::vector<ObjectPtr> ConfigArgs::objects(const std::string& key) const {
  auto it = lists_.find(key);
  if (it != lists_.end()) return it->second;
  if (values_.count(key)) fail(key, "expected a list of components");
  undeclared(key);
}

}  // namespace lighter::host
