#include "plugins/discovery.hpp"

#include <glob.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "config/error.hpp"
#include "config/parse.hpp"

#ifndef LIGHTER_PLUGIN_RELDIR
#define LIGHTER_PLUGIN_RELDIR "../lib/lighter/plugins"
#endif

namespace lighter::host {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> shared_objects_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".so" && e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> glob_files(const fs::path& base, const std::string& pattern) {
  const std::string full = (fs::path(pattern).is_absolute() ? fs::path(pattern) : base / pattern).string();
  glob_t result{};
  std::vector<fs::path> out;
  if (::glob(full.c_str(), 0, nullptr, &result) == 0)
    for (size_t i = 0; i < result.gl_pathc; ++i) out.emplace_back(result.gl_pathv[i]);
  ::globfree(&result);
  return out;
}

}  // namespace

fs::path current_executable() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

std::vector<fs::path> builtin_plugin_files(const fs::path& executable) {
  const fs::path bindir = executable.parent_path();
  const fs::path installed = bindir / LIGHTER_PLUGIN_RELDIR;
  if (fs::is_directory(installed)) return shared_objects_in(installed);
  // Build tree: <build>/core/lighter-host with plugins in <build>/plugins/<name>/.
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(bindir.parent_path() / "plugins", ec))
    if (dir.is_directory())
      for (auto& file : shared_objects_in(dir.path())) out.push_back(file);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> env_plugin_files(const char* plugin_path_env) {
  std::vector<fs::path> out;
  if (!plugin_path_env) return out;
  std::stringstream list(plugin_path_env);
  std::string dir;
  while (std::getline(list, dir, ':')) {
    if (dir.empty()) continue;
    if (fs::is_regular_file(dir)) {
      out.emplace_back(dir);
    } else if (!fs::is_directory(dir)) {
      spdlog::warn("LIGHTER_PLUGIN_PATH names '{}', which does not exist (no plugins loaded from it)", dir);
    } else {
      auto files = shared_objects_in(dir);
      if (files.empty()) spdlog::warn("LIGHTER_PLUGIN_PATH folder '{}' holds no .so file", dir);
      for (auto& file : files) out.push_back(file);
    }
  }
  return out;
}

std::optional<ProjectMarker> read_project_marker(const fs::path& project_dir) {
  const fs::path marker = project_dir / "__lighter__.toml";
  if (!fs::exists(marker)) return std::nullopt;
  const cfg::Node root = cfg::parse_file(marker, marker.string());
  ProjectMarker out{marker, {"*.so", "build/*.so"}, true};
  for (const auto& [key, value] : root.table()) {
    if (key != "plugins") {
      throw cfg::ConfigError("unknown key in the project marker, which accepts only 'plugins' (a list of globs)", key,
                             value.loc, cfg::suggest(key, {"plugins"}));
    }
    if (!value.is_array())
      throw cfg::ConfigError("expected a list of glob strings, got " + std::string(value.type_name()), key, value.loc);
    out.patterns.clear();
    out.default_patterns = false;
    for (const auto& item : value.array()) {
      if (!item.is_string())
        throw cfg::ConfigError("expected glob strings, got " + std::string(item.type_name()), key, item.loc);
      out.patterns.push_back(item.as_string());
    }
  }
  return out;
}

std::optional<std::vector<fs::path>> project_plugin_files(const fs::path& project_dir) {
  const auto marker = read_project_marker(project_dir);
  if (!marker) return std::nullopt;
  std::vector<fs::path> files;
  for (const auto& pattern : marker->patterns) {
    const auto matches = glob_files(project_dir, pattern);
    if (matches.empty() && !marker->default_patterns)
      spdlog::warn("{}: plugins: '{}' matches no file (relative to {})", marker->file.string(), pattern,
                   project_dir.string());
    for (auto& file : matches)
      if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
  }
  if (files.empty() && marker->default_patterns)
    spdlog::warn("{}: no plugin files found ('*.so' and 'build/*.so' match nothing); set plugins = [\"GLOB\", ...]",
                 marker->file.string());
  return files;
}

std::vector<std::string> plugin_search_description(const fs::path& executable, const fs::path& working_dir) {
  std::vector<std::string> lines;
  const fs::path installed = executable.parent_path() / LIGHTER_PLUGIN_RELDIR;
  lines.push_back("built-in plugins: " + (fs::is_directory(installed) ? installed.lexically_normal().string()
                                                                      : (executable.parent_path().parent_path() / "plugins" / "*").string()));
  const char* env = std::getenv("LIGHTER_PLUGIN_PATH");
  lines.push_back(std::string("LIGHTER_PLUGIN_PATH: ") + (env && *env ? env : "(not set)"));
  if (const auto marker = read_project_marker(working_dir))
    lines.push_back("project marker: " + marker->file.string() + ", plugins = " + cfg::quoted_list(marker->patterns) +
                    (marker->default_patterns ? " (the default)" : ""));
  else
    lines.push_back("project marker: none (" + (working_dir / "__lighter__.toml").string() + " does not exist)");
  return lines;
}

std::vector<PluginSource> discover_plugins(const fs::path& executable, const fs::path& working_dir) {
  std::vector<PluginSource> sources;
  for (auto& file : builtin_plugin_files(executable)) sources.push_back({file, ""});
  for (auto& file : env_plugin_files(std::getenv("LIGHTER_PLUGIN_PATH"))) sources.push_back({file, ""});
  if (auto files = project_plugin_files(working_dir))
    for (auto& file : *files) sources.push_back({file, "project."});
  return sources;
}

}  // namespace lighter::host

namespace lighter::host {

ComponentRegistry load_registry(const std::vector<PluginSource>& sources) {
  ComponentRegistry registry;
  for (const auto& source : sources) {
    spdlog::debug("loading plugin {}", source.file.string());
    registry.add_library(PluginLibrary::load(source.file), source.prefix);
  }
  return registry;
}

}  // namespace lighter::host
