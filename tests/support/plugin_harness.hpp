#pragma once
// A test-only host for plugin unit tests: loads a built plugin with dlopen, checks its
// descriptor, collects its registrations, and builds components from plain value tables with
// nested objects supplied by the test. Declarations are checked like the real host does
// (unknown keys, types, required keys, `check`), so tests also exercise the parameter lists.
#include <lighter/args.hpp>
#include <lighter/plugin.hpp>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace lighter::test {

using Objects = std::map<std::string, ObjectPtr>;
using ObjectLists = std::map<std::string, std::vector<ObjectPtr>>;

class MapArgs : public Args {
 public:
  // Throws ParamError for what the host would reject before calling the factory.
  MapArgs(const ComponentInfo& info, Value::Table values, Objects objects = {}, ObjectLists lists = {});

  Value value(const std::string& key) const override;
  ObjectPtr object(const std::string& key) const override;
  std::vector<ObjectPtr> objects(const std::string& key) const override;

 private:
  const Param* declared(const std::string& key) const;
  void validate() const;

  const ComponentInfo& info_;
  Value::Table values_;
  Objects objects_;
  ObjectLists lists_;
};

class PluginHarness {
 public:
  // Loads the plugin at `path` and, as the host does, puts the writer functions it registers in
  // the SDK's registry (lighter::find_writer); throws std::runtime_error when it cannot be loaded
  // or its descriptor does not match this SDK.
  explicit PluginHarness(const std::string& path);

  const lighter_plugin_descriptor& descriptor() const { return *descriptor_; }
  const std::vector<ComponentInfo>& components() const { return components_; }
  const std::vector<WriterFunction>& writers() const { return writers_; }
  const ComponentInfo& info(const std::string& name) const;  // throws std::out_of_range

  ObjectPtr build(const std::string& name, Value::Table values = {}, Objects objects = {},
                  ObjectLists lists = {}) const;
  template <class T>
  std::shared_ptr<T> make(const std::string& name, Value::Table values = {}, Objects objects = {},
                          ObjectLists lists = {}) const {
    auto typed = std::dynamic_pointer_cast<T>(build(name, std::move(values), std::move(objects), std::move(lists)));
    if (!typed) throw std::runtime_error(name + " did not build the expected type");
    return typed;
  }

 private:
  const lighter_plugin_descriptor* descriptor_ = nullptr;
  std::vector<ComponentInfo> components_;
  std::vector<WriterFunction> writers_;
};

// One harness per path, loaded once and never unloaded (objects a test keeps must not outlive
// their code).
const PluginHarness& plugin(const std::string& path);

}  // namespace lighter::test

// libtorch pulls in glog, whose CHECK(condition) collides with Catch's CHECK: include this
// header before <catch2/catch.hpp> so Catch's definition is the one tests see.
#undef CHECK
