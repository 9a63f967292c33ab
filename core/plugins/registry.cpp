#include "plugins/registry.hpp"

#include <c10/util/Exception.h>

#include "internal.hpp"
#include "plugins/boundary.hpp"

namespace lighter::host {

namespace {

class CollectingRegistrar : public Registrar {
 public:
  CollectingRegistrar(const LibraryPtr& library, std::string prefix) : library_(library), prefix_(std::move(prefix)) {}

  void add(ComponentInfo info) override {
    if (info.name.empty()) throw PluginError("plugin " + library_->path().string() + ": registers a component with no name");
    if (!info.factory)
      throw PluginError("plugin " + library_->path().string() + ": component '" + info.name + "' has no factory");
    info.name = prefix_ + info.name;
    info.factory = guarded_factory(std::move(info.factory), info.name);
    components.push_back(std::move(info));
  }

  void add_writer(WriterFunction writer) override {
    if (!writer.write) throw PluginError("plugin " + library_->path().string() + ": writer '" + writer.name + "' has no function");
    auto library = library_;
    auto write = std::move(writer.write);
    // The function's code lives in the plugin: keep the library loaded while the table holds it.
    // It runs inside another plugin's hook, which may catch only std::exception.
    writer.write = [library, write, name = writer.name](const std::filesystem::path& file, const c10::IValue& value) {
      try {
        write(file, value);
      } catch (const c10::Error&) {
        throw std::runtime_error(current_exception_text());
      } catch (const std::exception&) {
        throw;
      } catch (...) {
        throw std::runtime_error("writer function '" + name + "' of plugin " + library->path().string() + " threw " +
                                 current_exception_text() + " writing " + file.string());
      }
    };
    writers.push_back(std::move(writer));
  }

  std::vector<ComponentInfo> components;
  std::vector<WriterFunction> writers;

 private:
  // The builder adds the key path and _target_ to what a factory throws, but only for a
  // std::exception; a c10::Error would carry its backtrace. Records where each object came from.
  Factory guarded_factory(Factory factory, const std::string& name) const {
    const std::string file = library_->path().string();
    return [factory = std::move(factory), name, file](const Args& args) -> ObjectPtr {
      ObjectPtr object;
      try {
        object = factory(args);
      } catch (const c10::Error&) {
        throw std::runtime_error(current_exception_text());
      } catch (const std::exception&) {
        throw;
      } catch (...) {
        throw std::runtime_error("plugin " + file + " threw " + current_exception_text() + " in the factory of " + name);
      }
      record_origin(object, Origin{name, args.path(), file});
      return object;
    };
  }

  LibraryPtr library_;
  std::string prefix_;
};

}  // namespace

void ComponentRegistry::add_library(const LibraryPtr& library, const std::string& prefix) {
  CollectingRegistrar registrar(library, prefix);
  try {
    library->register_components(registrar);
  } catch (const PluginError&) {
    throw;
  } catch (...) {
    throw PluginError("plugin " + library->path().string() + ": registration failed: " + current_exception_text());
  }
  for (auto& info : registrar.components) insert(ComponentEntry{library, std::move(info), library->path().string()});
  for (auto& writer : registrar.writers) {
    try {
      internal::register_writer(std::move(writer), library->path().string());
    } catch (const std::invalid_argument& e) {
      throw PluginError(e.what());
    }
  }
  libraries_.push_back(library);
}

void ComponentRegistry::add_builtin(ComponentInfo info) { insert(ComponentEntry{nullptr, std::move(info), "lighter-host"}); }

void ComponentRegistry::insert(ComponentEntry entry) {
  auto it = entries_.find(entry.info.name);
  if (it != entries_.end())
    throw PluginError("component '" + entry.info.name + "' is registered twice: by " + it->second.source + " and by " +
                      entry.source + "; remove one of the plugins or rename the component");
  std::string name = entry.info.name;
  entries_.emplace(std::move(name), std::move(entry));
}

const ComponentEntry* ComponentRegistry::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> ComponentRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : entries_) out.push_back(name);
  return out;
}

}  // namespace lighter::host
