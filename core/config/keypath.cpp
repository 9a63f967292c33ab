#include "config/keypath.hpp"

#include <charconv>

#include "config/error.hpp"
#include <utility>

namespace lighter::cfg {

std::vector<std::string> split_key_path(std::string_view path) {
    std::vector<std::string> parts;
    if (path.empty()) return parts;
    size_t start = 0;
    while (true) {
        const size_t end = path.find(kPathSeparator, start);
        parts.emplace_back(path.substr(start, end == std::string_view::npos ? path.npos : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + kPathSeparator.size();
    }
}

std::string join_key_path(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& part : parts) out = join_key_path(out, part);
    return out;
}

std::string join_key_path(std::string_view base, std::string_view component) {
    if (base.empty()) return std::string(component);
    std::string out(base);
    out += kPathSeparator;
    out += component;
    return out;
}

std::optional<long long> parse_index(std::string_view component) {
    const size_t digits_from = !component.empty() && component.front() == '-' ? 1 : 0;
    if (component.size() <= digits_from) return std::nullopt;
    long long value = 0;
    const char* first = component.data();
    const char* last = first + component.size();
    const auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end != last) return std::nullopt;
    return value;
}

std::optional<size_t> resolve_index(long long index, size_t size) {
    const long long count = static_cast<long long>(size);
    if (index < 0) index += count;
    if (index < 0 || index >= count) return std::nullopt;
    return static_cast<size_t>(index);
}

const Node* find_path(const Node& root, const std::vector<std::string>& parts) {
    const Node* node = &root;
    for (const std::string& part : parts) {
        if (node->is_table()) {
            node = node->find(part);
        } else if (node->is_array()) {
            const auto index = parse_index(part);
            const auto position = index ? resolve_index(*index, node->array().size()) : std::nullopt;
            node = position ? &node->array()[*position] : nullptr;
        } else {
            return nullptr;
        }
        if (!node) return nullptr;
    }
    return node;
}

Node* find_path(Node& root, const std::vector<std::string>& parts) {
    return const_cast<Node*>(find_path(std::as_const(root), parts));
}

std::string absolute_reference(std::string_view id, std::string_view key_path, const Location& where,
                               bool* used_hash) {
    std::string text(id);
    if (text.find('#') != std::string::npos) {
        std::string replaced;
        for (const char c : text) replaced += c == '#' ? std::string(kPathSeparator) : std::string(1, c);
        text = std::move(replaced);
        if (used_hash) *used_hash = true;
    }
    size_t climbs = 0;
    std::string_view rest = text;
    while (rest.substr(0, kPathSeparator.size()) == kPathSeparator) {
        rest.remove_prefix(kPathSeparator.size());
        ++climbs;
    }
    if (climbs == 0) return text;
    std::vector<std::string> base = split_key_path(key_path);
    if (climbs > base.size()) {
        throw ConfigError("relative reference '" + std::string(id) + "' climbs " + std::to_string(climbs) +
                              " levels from '" + std::string(key_path) + "', above the top of the config",
                          std::string(key_path), where,
                          "'::key' names a key of the same table, each further '::' one table up");
    }
    base.resize(base.size() - climbs);
    return join_key_path(join_key_path(base), rest);
}

}  // namespace lighter::cfg
