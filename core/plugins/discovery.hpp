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
std::vector<std::filesystem::path> env_plugin_files(const char* plugin_path_env);
// Plugin files named by the marker in `project_dir`; nullopt when there is no marker.
// Throws a ConfigError for a malformed marker.
std::optional<std::vector<std::filesystem::path>> project_plugin_files(const std::filesystem::path& project_dir);

std::vector<PluginSource> discover_plugins(const std::filesystem::path& executable,
                                           const std::filesystem::path& working_dir);

// Loads every discovered plugin into a registry that also holds the host's own components.
ComponentRegistry load_registry(const std::vector<PluginSource>& sources);

std::filesystem::path current_executable();

}  // namespace lighter::host
