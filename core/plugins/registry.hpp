#pragma once
// Every component the host can build, by `_target_` name, with the file that provides it.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lighter/params.hpp"
#include "plugins/library.hpp"

namespace lighter::host {

struct ComponentEntry {
  LibraryPtr library;  // null for components built into the host; declared first: destroyed last
  ComponentInfo info;  // info.name is the full `_target_` name
  std::string source;  // the plugin file, or "lighter-host"
};

class ComponentRegistry {
 public:
  // Registers what `library` provides. Names get `prefix` ("project." for project plugins).
  // A name registered twice is a PluginError naming both files.
  void add_library(const LibraryPtr& library, const std::string& prefix);
  // Host-provided components (the trainer).
  void add_builtin(ComponentInfo info);

  const ComponentEntry* find(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::map<std::string, ComponentEntry>& entries() const { return entries_; }
  const std::vector<LibraryPtr>& libraries() const { return libraries_; }

 private:
  void insert(ComponentEntry entry);

  std::vector<LibraryPtr> libraries_;
  std::map<std::string, ComponentEntry> entries_;
};

}  // namespace lighter::host
