#include "support/plugin_harness.hpp"

#include <dlfcn.h>

#include <cstring>
#include <mutex>

// The SDK's host-only writer registry, so lighter::find_writer sees a loaded plugin's writers
// as it does under the real host.
#include "internal.hpp"

namespace lighter::test {

namespace {
class CollectingRegistrar : public Registrar {
 public:
  CollectingRegistrar(std::vector<ComponentInfo>& components, std::vector<WriterFunction>& writers)
      : components_(components), writers_(writers) {}
  void add(ComponentInfo info) override { components_.push_back(std::move(info)); }
  void add_writer(WriterFunction writer) override { writers_.push_back(std::move(writer)); }

 private:
  std::vector<ComponentInfo>& components_;
  std::vector<WriterFunction>& writers_;
};
}  // namespace

MapArgs::MapArgs(const ComponentInfo& info, Value::Table values, Objects objects, ObjectLists lists)
    : Args(info.name, info.name), info_(info), values_(std::move(values)), objects_(std::move(objects)),
      lists_(std::move(lists)) {
  validate();
}

const Param* MapArgs::declared(const std::string& key) const {
  if (info_.positional && info_.positional->name == key) return &*info_.positional;
  for (const auto& p : info_.params)
    if (p.name == key) return &p;
  return nullptr;
}

void MapArgs::validate() const {
  auto check_key = [&](const std::string& key) -> const Param& {
    const Param* p = declared(key);
    if (!p) throw ParamError(key, "unknown parameter of " + info_.name);
    return *p;
  };
  for (const auto& [key, value] : values_) {
    const Param& p = check_key(key);
    const Type t = type_of(value);
    const bool ok = accepts(p.type, t) || (t == Type::Int && accepts(p.type, Type::Float));
    if (!ok) throw ParamError(key, "expected " + type_description(p.type) + ", got " + value.repr());
    if (value.is_array() && p.element_type != Type::Any)
      for (const auto& e : value.as_array())
        if (!accepts(p.element_type, type_of(e)) && !(e.is_int() && accepts(p.element_type, Type::Float)))
          throw ParamError(key, "expected a list of " + type_description(p.element_type) + ", got " + value.repr());
    if (p.check && !value.is_null())
      if (std::string expected = p.check(value); !expected.empty())
        throw ParamError(key, "expected " + expected + ", got " + value.repr());
  }
  for (const auto& [key, object] : objects_) check_key(key);
  for (const auto& [key, list] : lists_) check_key(key);
  for (const auto& p : info_.params)
    if (p.required() && value(p.name).is_null())
      throw ParamError(p.name, "missing required parameter of " + info_.name);
}

Value MapArgs::value(const std::string& key) const {
  for (const auto& [k, v] : values_)
    if (k == key) return v;
  if (objects_.count(key) && objects_.at(key)) return Value(Value::Table{});
  if (const Param* p = declared(key); p && p->default_value) return *p->default_value;
  return Value();
}

ObjectPtr MapArgs::object(const std::string& key) const {
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> MapArgs::objects(const std::string& key) const {
  auto it = lists_.find(key);
  return it == lists_.end() ? std::vector<ObjectPtr>{} : it->second;
}

PluginHarness::PluginHarness(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw std::runtime_error("cannot load " + path + ": " + dlerror());
  using Entry = const lighter_plugin_descriptor* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, LIGHTER_PLUGIN_ENTRY_SYMBOL));
  if (!entry) throw std::runtime_error(path + " exports no " LIGHTER_PLUGIN_ENTRY_SYMBOL);
  descriptor_ = entry();
  const auto& d = *descriptor_;
  if (d.struct_size != sizeof(lighter_plugin_descriptor) || d.sdk_abi_major != LIGHTER_SDK_ABI_MAJOR ||
      d.sdk_abi_minor > LIGHTER_SDK_ABI_MINOR || std::strcmp(d.torch_version, LIGHTER_TORCH_VERSION) != 0 ||
      std::strcmp(d.cxx_abi, LIGHTER_CXX_ABI) != 0)
    throw std::runtime_error(path + ": descriptor does not match this SDK");
  CollectingRegistrar registrar(components_, writers_);
  d.register_components(&registrar);
  for (const auto& writer : writers_) internal::register_writer(writer, path);
}

const ComponentInfo& PluginHarness::info(const std::string& name) const {
  for (const auto& c : components_)
    if (c.name == name) return c;
  throw std::out_of_range("no component " + name);
}

ObjectPtr PluginHarness::build(const std::string& name, Value::Table values, Objects objects, ObjectLists lists) const {
  const ComponentInfo& component = info(name);
  MapArgs args(component, std::move(values), std::move(objects), std::move(lists));
  ObjectPtr built = component.factory(args);
  if (!built) throw std::runtime_error(name + " factory returned null");
  if (built->kind() != component.kind) throw std::runtime_error(name + " built an object of another kind");
  built->set_target(name);
  return built;
}

const PluginHarness& plugin(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<PluginHarness>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = loaded[path];
  if (!slot) slot = std::make_unique<PluginHarness>(path);
  return *slot;
}

}  // namespace lighter::test
