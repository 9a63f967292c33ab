#include "build/config_args.hpp"

#include "build/validate.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"

namespace lighter::host {

ConfigArgs::ConfigArgs(Builder& builder, const cfg::Node& table, const std::string& path, const ComponentInfo& info)
    : Args(info.name, path), none_means_default_(info.name == "pytorch_lightning.Trainer") {
  bool failed = false;
  auto resolve_reporting = [&](const cfg::Node* node, const Param& param) {
    try {
      resolve(builder, node, param, table);
    } catch (const cfg::ConfigError& e) {
      builder.report(e);  // rethrows unless the builder collects errors
      failed = true;
    }
  };
  for (const auto& param : info.params) resolve_reporting(table.find(param.name), param);
  if (info.positional) resolve_reporting(table.find("_args_"), *info.positional);
  if (failed) throw ReportedConfigError(path);
}

void ConfigArgs::resolve(Builder& builder, const cfg::Node* node, const Param& param, const cfg::Node& table) {
  const std::string key_path = cfg::join_key_path(this->path(), param.name);
  if (!node) {
    values_[param.name] = param.default_value.value_or(Value());
    return;
  }
  if (take_null(builder, *node, param, key_path)) return;
  if (param.component_kind) {
    const auto resolved = builder.follow(*node, key_path);
    const bool plain_group = resolved.node->is_array() || (resolved.node->is_table() && !builder.is_component(*resolved.node));
    if (*param.component_kind == Kind::Metric && plain_group && !accepts(param.type, Type::List | Type::Table)) {
      objects_[param.name] = builder.build_metric_collection(*resolved.node, resolved.path);
      values_[param.name] = Value();
      return;
    }
    const bool list_given = resolved.node->is_array() && accepts(param.type, Type::List);
    const bool component_given = builder.is_component(*resolved.node) && accepts(param.type, Type::Component);
    if (list_given) {
      auto& list = lists_[param.name];
      Value::Array groups;
      for (size_t i = 0; i < resolved.node->array().size(); ++i) {
        const std::string item_path = cfg::join_key_path(resolved.path, std::to_string(i));
        const Builder::Resolved item = builder.follow(resolved.node->array()[i], item_path);
        if (is_group(builder, *item.node, param)) {
          groups.push_back(group_options(builder, *item.node, item.path));
          list.push_back(builder.build_node(*item.node->find(kGroupKey), cfg::join_key_path(item.path, kGroupKey),
                                            param.component_kind, ""));
        } else if (ObjectPtr object = builder.build_node(resolved.node->array()[i], item_path, param.component_kind, "")) {
          groups.push_back(Value(Value::Table{}));
          list.push_back(object);
        }
      }
      values_[param.name] = groups.empty() ? Value() : Value(std::move(groups));
      return;
    }
    const bool table_given =
        resolved.node->is_table() && !builder.is_component(*resolved.node) && accepts(param.type, Type::Table);
    if (table_given) {
      for (const auto& [name, entry] : resolved.node->table())
        if (ObjectPtr object = builder.build_node(entry, cfg::join_key_path(resolved.path, name), param.component_kind, "")) {
          lists_[param.name].push_back(object);
          names_[param.name].push_back(name);
        }
      lists_[param.name];  // an empty table is an empty list
      values_[param.name] = Value();
      return;
    }
    if (component_given) {
      ObjectPtr object = builder.build_node(*node, key_path, param.component_kind, "");
      if (!object && !accepts(param.type, Type::Null))
        throw cfg::ConfigError(param.name + " is required by " + target() + " but is disabled", key_path, node->loc);
      objects_[param.name] = object;
      if (accepts(param.type, Type::List)) lists_[param.name] = object ? std::vector<ObjectPtr>{object} : std::vector<ObjectPtr>{};
      values_[param.name] = Value();
      return;
    }
  }
  Value value = builder.to_value(*node, key_path);
  check_value(value, param, key_path, node->loc);
  values_[param.name] = std::move(value);
}

// torch.optim's parameter groups: `params = [{params = "@model::network::0", lr = 0.1}, ...]`.
bool ConfigArgs::is_group(Builder& builder, const cfg::Node& item, const Param& param) const {
  return param.name == kGroupKey && item.is_table() && !builder.is_component(item) && item.find(kGroupKey);
}

Value ConfigArgs::group_options(Builder& builder, const cfg::Node& group, const std::string& path) const {
  Value::Table options;
  for (const auto& [key, value] : group.table())
    if (key != kGroupKey) options.emplace_back(key, builder.to_value(value, cfg::join_key_path(path, key)));
  return Value(std::move(options));
}

// null (YAML's null, a `null` override) is Python's None: taken where the parameter accepts None
// or its default is None, and by the Trainer, where None means "the default".
bool ConfigArgs::take_null(Builder& builder, const cfg::Node& node, const Param& param, const std::string& key_path) {
  if (!builder.follow(node, key_path).node->is_null() || accepts(param.type, Type::Null)) return false;
  if (param.default_value && (param.default_value->is_null() || none_means_default_)) {
    values_[param.name] = *param.default_value;
    return true;
  }
  const std::string expected = type_description(param.type);
  const std::string hint = accepts(param.type, Type::List)
                               ? "null is not a list: to drop the key write ~" + key_path + ", for an empty list []"
                               : param.required() ? param.name + " is required: give it " + cfg::with_article(expected)
                                                  : "leave " + param.name + " out for its default " +
                                                        param.default_value->repr();
  throw cfg::ConfigError("expected " + expected + ", got null (None)", key_path, node.loc, hint);
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
  if (auto it = objects_.find(key); it != objects_.end()) return it->second;
  if (!values_.count(key)) undeclared(key);
  return nullptr;  // not given as a component: see value(key)
}

std::vector<ObjectPtr> ConfigArgs::objects(const std::string& key) const {
  if (auto it = lists_.find(key); it != lists_.end()) return it->second;
  if (!values_.count(key)) undeclared(key);
  const Value& v = values_.at(key);
  if (v.is_array() && !v.as_array().empty()) fail(key, "expected a list of components, got plain values " + v.repr());
  return {};
}

std::vector<std::string> ConfigArgs::object_names(const std::string& key) const {
  auto it = names_.find(key);
  return it == names_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace lighter::host
