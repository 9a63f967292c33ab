#include "cli/plugins_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <vector>

#include <lighter/writer.hpp>

#include "config/error.hpp"
#include "dist/strategy.hpp"
#include "engine/trainer_options.hpp"
#include "plugins/discovery.hpp"

namespace lighter::host {

namespace {

std::string describe(const ComponentEntry& entry) {
  const ComponentInfo& info = entry.info;
  std::string out = fmt::format("{} ({})\n  {}\n  from: {}\n", info.name, kind_name(info.kind), info.doc, entry.source);
  if (info.params.empty() && !info.positional) return out + "  parameters: none\n";
  out += "  parameters:\n";
  auto row = [&](const Param& p) {
    std::string type = type_description(p.type);
    if (p.component_kind) type += " (" + std::string(kind_name(*p.component_kind)) + ")";
    const std::string fallback = p.required() ? "required" : "default " + p.default_value->repr();
    out += fmt::format("    {:<24} {:<28} {:<20} {}\n", p.name, type, fallback, p.doc);
  };
  for (const auto& p : info.params) row(p);
  if (info.positional) row(*info.positional);
  return out;
}

}  // namespace

int plugins_command(const std::optional<std::string>& name) {
  const auto executable = current_executable();
  const auto working_dir = std::filesystem::current_path();
  ComponentRegistry registry = load_registry(discover_plugins(executable, working_dir));
  registry.add_builtin(trainer_component());
  registry.add_builtin(dist::ddp_strategy_component());
  if (name) {
    const ComponentEntry* entry = registry.find(*name);
    if (!entry) throw cfg::ConfigError("unknown component '" + *name + "'", "", {}, cfg::suggest(*name, registry.names()));
    std::fputs(describe(*entry).c_str(), stdout);
    return 0;
  }
  std::fputs("searched:\n", stdout);
  for (const auto& line : plugin_search_description(executable, working_dir)) std::fputs(("  " + line + "\n").c_str(), stdout);
  std::map<std::string, std::vector<const ComponentEntry*>> by_source;
  for (const auto& [component, entry] : registry.entries()) by_source[entry.source].push_back(&entry);
  for (const auto& [source, entries] : by_source) {
    std::fputs(fmt::format("{}:\n", source).c_str(), stdout);
    for (const auto* entry : entries)
      std::fputs(fmt::format("  {:<48} {}\n", entry->info.name, kind_name(entry->info.kind)).c_str(), stdout);
  }
  const auto writers = writer_names();
  if (!writers.empty()) std::fputs("writer functions (FileWriter's writer_fn):\n", stdout);
  for (const auto& writer : writers) {
    const WriterFunction* w = find_writer(writer);
    std::fputs(fmt::format("  {:<16} {:<6} {}\n", w->name, w->suffix, w->doc).c_str(), stdout);
  }
  return 0;
}

}  // namespace lighter::host
