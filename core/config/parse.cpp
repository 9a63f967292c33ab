#include "config/parse.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <toml.hpp>
#include <tuple>

#include "config/error.hpp"

namespace lighter::cfg {
namespace {

// (line, column) in the source. Tables from toml11 are unordered maps, so the author's key
// order is rebuilt from where each entry starts: the earliest position inside it.
using Position = std::pair<int, int>;
constexpr Position kNowhere{INT32_MAX, INT32_MAX};

struct Converted {
    Node node;
    Position first;
};

Location location_of(const toml::value& value, const std::string& file) {
    const toml::source_location source = value.location();
    return Location{file, static_cast<int>(source.line()), static_cast<int>(source.column())};
}

Converted convert(const toml::value& value, const std::string& file) {
    Location loc = location_of(value, file);
    Position first{loc.line, loc.column};
    switch (value.type()) {
        case toml::value_t::boolean: return {Node::make_bool(value.as_boolean(), loc), first};
        case toml::value_t::integer: return {Node::make_int(value.as_integer(), loc), first};
        case toml::value_t::floating: return {Node::make_float(value.as_floating(), loc), first};
        case toml::value_t::string: return {Node::make_string(value.as_string().str, loc), first};
        case toml::value_t::array: {
            Node::Array items;
            for (const toml::value& item : value.as_array()) {
                Converted element = convert(item, file);
                first = std::min(first, element.first);
                items.push_back(std::move(element.node));
            }
            return {Node::make_array(std::move(items), loc), first};
        }
        case toml::value_t::table: {
            std::vector<std::tuple<Position, std::string, Node>> entries;
            for (const auto& [key, item] : value.as_table()) {
                Converted entry = convert(item, file);
                first = std::min(first, entry.first);
                entries.emplace_back(entry.first, key, std::move(entry.node));
            }
            std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
                return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
            });
            Node::Table table;
            for (auto& [position, key, node] : entries) table.emplace_back(std::move(key), std::move(node));
            return {Node::make_table(std::move(table), loc), first};
        }
        case toml::value_t::empty: return {Node::make_null(loc), kNowhere};
        default:
            throw ConfigError("date and time values are not supported", {}, loc,
                              "write it as a string in quotes");
    }
}

std::string trim(std::string text) {
    const size_t begin = text.find_first_not_of(" \t");
    if (begin == std::string::npos) return {};
    const size_t end = text.find_last_not_of(" \t");
    return text.substr(begin, end - begin + 1);
}

// toml11 reports errors as ASCII art:
//   [error] toml::parse_key_value_pair: missing value after key-value separator '='
//    --> run.toml
//      |
//    2 | b =
//      |     ^--- expected value, but got nothing
// This keeps the reason, the last marked position and its comment, as one line.
ConfigError syntax_error(const toml::exception& error, const std::string& file) {
    std::istringstream lines(error.what());
    std::string line, reason;
    std::getline(lines, reason);
    for (const std::string prefix : {"[error] ", "toml::"}) {
        if (reason.rfind(prefix, 0) == 0) reason.erase(0, prefix.size());
    }
    if (const size_t colon = reason.find(": "); colon != std::string::npos && reason.find(' ') > colon)
        reason.erase(0, colon + 2);  // drop the toml11 function name
    reason = trim(reason);
    while (!reason.empty() && reason.back() == '.') reason.pop_back();

    Location where{file, static_cast<int>(error.location().line()),
                   static_cast<int>(error.location().column())};
    std::string detail;
    int source_line = 0;
    while (std::getline(lines, line)) {
        const size_t bar = line.find(" | ");
        if (bar == std::string::npos) continue;
        const std::string gutter = trim(line.substr(0, bar));
        if (!gutter.empty()) {
            source_line = std::atoi(gutter.c_str());
            continue;
        }
        const size_t marker = line.find_first_of("^~", bar + 3);
        if (source_line <= 0 || marker == std::string::npos) continue;
        where.line = source_line;
        where.column = static_cast<int>(marker - (bar + 3)) + 1;
        const size_t comment = line.find(' ', marker);
        detail = comment == std::string::npos ? "" : trim(line.substr(comment));
    }
    if (!detail.empty() && detail != reason) reason += ": " + detail;
    return ConfigError(reason.empty() ? "malformed TOML" : reason, {}, where);
}

}  // namespace

Node parse_string(std::string_view text, std::string display_name) {
    std::istringstream stream{std::string(text)};
    toml::value document;
    try {
        document = toml::parse(stream, display_name);
    } catch (const toml::exception& error) {
        throw syntax_error(error, display_name);
    } catch (const std::exception& error) {
        throw ConfigError(std::string("malformed TOML: ") + error.what(), {}, Location{display_name});
    }
    Node root = convert(document, display_name).node;
    root.loc = Location{display_name};
    return root;
}

Node parse_file(const std::filesystem::path& path, std::string display_name) {
    const Location where{display_name};
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored))
        throw ConfigError("cannot read config file (it is a directory)", {}, where);
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw ConfigError("cannot read config file (" + std::string(std::strerror(errno)) + ")", {}, where);
    }
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad()) throw ConfigError("cannot read config file (read error)", {}, where);
    return parse_string(content.str(), std::move(display_name));
}

}  // namespace lighter::cfg
