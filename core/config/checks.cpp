// Checks on a composed config that the engine cannot honour or that deserve a warning.
#include <algorithm>
#include <array>

#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"

namespace lighter::cfg {
namespace {

void reject_python_only(const Node& node, const std::string& path) {
    if (node.is_array()) {
        for (size_t i = 0; i < node.array().size(); ++i)
            reject_python_only(node.array()[i], join_key_path(path, std::to_string(i)));
    }
    if (!node.is_table()) return;
    for (const auto& [key, value] : node.table()) {
        const std::string key_path = join_key_path(path, key);
        if (key == "_mode_") {
            throw ConfigError("`_mode_` is Python-only and not supported; components are always constructed, "
                              "for a callable use the component's own parameters",
                              key_path, value.loc);
        }
        if (key == "_requires_") {
            throw ConfigError("`_requires_` is Python-only and not supported; remove it, dependencies are "
                              "resolved through `@` references",
                              key_path, value.loc);
        }
        reject_python_only(value, key_path);
    }
}

}  // namespace

void check_python_only(const Node& root) { reject_python_only(root, ""); }

std::vector<std::string> unknown_top_level_keys(const Node& root) {
    static constexpr std::array<std::string_view, 6> kKnown{"trainer", "model", "data", "args", "vars", "seed"};
    std::vector<std::string> unknown;
    for (const std::string& key : root.keys()) {
        if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) unknown.push_back(key);
    }
    return unknown;
}

}  // namespace lighter::cfg
