// Checks on a composed config that the engine cannot honour or that deserve a warning.
#include <algorithm>
#include <array>

#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"

namespace lighter::cfg {
namespace {

// Sparkwheel's `_mode_`: "default" (construct) and "debug" (here: the builder logs the
// component's config and build time) are taken; "callable" hands Python a function, which
// lighter's components take by name or as a component instead.
void check_mode(const Node& table, const Node& mode, const std::string& key_path) {
    if (!table.find("_target_"))
        throw ConfigError("`_mode_` applies to a component (a table with _target_)", key_path, mode.loc,
                          "remove it, or add _target_");
    if (mode.is_string() && (mode.as_string() == "default" || mode.as_string() == "debug")) return;
    if (mode.is_string() && mode.as_string() == "callable")
        throw ConfigError("`_mode_ = \"callable\"` hands Python a function or class to call later; lighter builds "
                          "every component, and a parameter that takes a function takes it by name (FileWriter's "
                          "writer_fn = \"tensor\"; a plugin registers more) or as the component itself",
                          key_path, mode.loc, "remove `_mode_` and give the component, or the function's name");
    throw ConfigError("expected \"default\", \"callable\" or \"debug\", got " +
                          (mode.is_string() ? "\"" + mode.as_string() + "\"" : std::string(mode.type_name())),
                      key_path, mode.loc);
}

void reject_python_only(const Node& node, const std::string& path) {
    if (node.is_array()) {
        for (size_t i = 0; i < node.array().size(); ++i)
            reject_python_only(node.array()[i], join_key_path(path, std::to_string(i)));
    }
    if (!node.is_table()) return;
    for (const auto& [key, value] : node.table()) {
        const std::string key_path = join_key_path(path, key);
        if (key == "_mode_") check_mode(node, value, key_path);
        if (key == "_requires_") {
            throw ConfigError("`_requires_` is Python-only and not supported; remove it, dependencies are "
                              "resolved through `@` references",
                              key_path, value.loc);
        }
        reject_python_only(value, key_path);
    }
}

constexpr std::array<std::string_view, 6> kKnownTopLevel{"trainer", "model", "data", "args", "vars", "seed"};

// Lighter 0.0.x's lighter.System, key by key, in today's layout.
constexpr std::pair<std::string_view, std::string_view> kSystemLayout[] = {
    {"system::_target_", "model::_target_"},
    {"system::model", "model::network"},
    {"system::criterion", "model::criterion"},
    {"system::optimizer", "model::optimizer"},
    {"system::scheduler", "model::scheduler"},
    {"system::metrics::train", "model::train_metrics"},
    {"system::metrics::val", "model::val_metrics"},
    {"system::metrics::test", "model::test_metrics"},
    {"system::metrics", "model::{train,val,test}_metrics"},
    {"system::dataloaders::train", "data::train_dataloader"},
    {"system::dataloaders::val", "data::val_dataloader"},
    {"system::dataloaders::test", "data::test_dataloader"},
    {"system::dataloaders::predict", "data::predict_dataloader"},
    {"system::dataloaders", "data::{train,val,test,predict}_dataloader"},
    {"system::batch_size", "data::<stage>_dataloader::batch_size"},
};

constexpr std::string_view kTodayLayout =
    "today a LighterModule under `model` (_target_ = \"lighter.SupervisedModule\" or your own) holds network, "
    "criterion, optimizer, scheduler and {train,val,test}_metrics, and `data` (_target_ = "
    "\"lighter.LighterDataModule\") holds {train,val,test,predict}_dataloader";

// "system::optimizer::lr" -> "model::optimizer::lr"; "" where the old key has no counterpart.
std::string today_path(const std::string& old_path) {
    for (const auto& [from, to] : kSystemLayout) {
        if (old_path == from) return std::string(to);
        if (old_path.size() > from.size() && old_path.compare(0, from.size(), from) == 0 &&
            old_path.compare(from.size(), 2, "::") == 0 && to.find('{') == std::string_view::npos &&
            to.find('<') == std::string_view::npos)
            return std::string(to) + old_path.substr(from.size());
    }
    return {};
}

}  // namespace

void check_legacy_layout(const Node& root) {
    const Node* system = root.find("system");
    if (!system || !system->is_table()) return;
    if (!system->find("dataloaders") && !system->find("model") && !system->find("optimizer")) return;
    std::string mapping;
    for (const std::string& key : system->keys()) {
        const std::string old_path = "system::" + key;
        const std::string now = today_path(old_path);
        mapping += (mapping.empty() ? "" : ", ") + old_path + " -> " + (now.empty() ? "(no counterpart)" : now);
    }
    throw ConfigError("this is Lighter 0.0.x's `system` layout, which lighter does not read: " + mapping, "system",
                      system->loc, std::string(kTodayLayout));
}

void check_override_top_key(const std::string& override_input, const std::vector<std::string>& path) {
    const std::string& top = path.front();
    if (std::find(kKnownTopLevel.begin(), kKnownTopLevel.end(), top) != kKnownTopLevel.end()) return;
    std::string key_path;
    for (const std::string& part : path) key_path = join_key_path(key_path, part);
    const Location where{"<override>"};
    if (top == "system") {
        const std::string now = today_path(key_path);
        throw ConfigError("override '" + override_input + "' is written for Lighter 0.0.x's `system` layout; no config "
                              "file has a `system` table and lighter gives it no meaning",
                          key_path, where,
                          now.empty() ? std::string(kTodayLayout) : "today this is " + now);
    }
    std::vector<std::string> known(kKnownTopLevel.begin(), kKnownTopLevel.end());
    std::string hint = suggest(top, known);
    throw ConfigError("override '" + override_input + "' creates the top-level key '" + top +
                          "', which no config file has and which has no meaning to lighter",
                      key_path, where, hint.empty() ? "top-level keys: " + quoted_list(known) : hint);
}

void check_python_only(const Node& root) { reject_python_only(root, ""); }

std::vector<std::string> unknown_top_level_keys(const Node& root) {
    std::vector<std::string> unknown;
    for (const std::string& key : root.keys()) {
        if (std::find(kKnownTopLevel.begin(), kKnownTopLevel.end(), key) == kKnownTopLevel.end()) unknown.push_back(key);
    }
    return unknown;
}

}  // namespace lighter::cfg
