#pragma once
// Where plugins come from, in order: the built-in plugin folder next to the host executable,
// LIGHTER_PLUGIN_PATH (a ':'-list of folders), and the project in the working directory
// (`__lighter__.toml` with `plugins` globs; its components are `project.<Name>`).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "plugins/registry.hpp"

namespace lighter::host {

struct PluginSource {
  std::filesystem::path file;
  std::string prefix;  // "" or "project."
};

// The built-in plugin folder: installed (<bindir>/LIGHTER_PLUGIN_RELDIR) or the build tree
// (<builddir>/plugins/*/). Empty when neither exists.
std::vector<std::filesystem::path> builtin_plugin_files(const std::filesystem::path& executable);
// The .so files in each folder of the ':'-list (or the file itself); warns about entries that
// do not exist and folders without plugins.
std::vector<std::filesystem::path> env_plugin_files(const char* plugin_path_env);

struct ProjectMarker {
  std::filesystem::path file;         // <project>/__lighter__.toml
  std::vector<std::string> patterns;  // its `plugins` globs, relative to the project folder
  bool default_patterns;              // no `plugins` key: "*.so", "build/*.so"
};
// nullopt when there is no marker; throws a ConfigError for a malformed one.
std::optional<ProjectMarker> read_project_marker(const std::filesystem::path& project_dir);
// Plugin files named by the marker in `project_dir`; nullopt when there is no marker. Warns
// about globs that match nothing.
std::optional<std::vector<std::filesystem::path>> project_plugin_files(const std::filesystem::path& project_dir);
// Where discover_plugins looks, one line per place (for `lighter-host plugins`).
std::vector<std::string> plugin_search_description(const std::filesystem::path& executable,
                                                   const std::filesystem::path& working_dir);

std::vector<PluginSource> discover_plugins(const std::filesystem::path& executable,
                                           const std::filesystem::path& working_dir);

// Loads every discovered plugin into a registry that also holds the host's own components.
ComponentRegistry load_registry(const std::vector<PluginSource>& sources);

std::filesystem::path current_executable();

}  // namespace lighter::host
