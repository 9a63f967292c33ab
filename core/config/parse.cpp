#include "config/parse.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <toml.hpp>
#include <tuple>

#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/limits.hpp"

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

// toml11's own line numbers count the newlines before a value on every call, which makes a
// large file quadratic; this looks positions up in a table of line starts instead.
class Converter {
public:
    Converter(std::string_view text, std::string file) : file_(std::move(file)) {
        line_starts_.push_back(0);
        for (size_t i = 0; i < text.size(); ++i)
            if (text[i] == '\n') line_starts_.push_back(i + 1);
    }

    Converted convert(const toml::value& value, const std::string& path) const {
        Location loc = location_of(value);
        Position first{loc.line, loc.column};
        switch (value.type()) {
            case toml::value_t::boolean: return {Node::make_bool(value.as_boolean(), loc), first};
            case toml::value_t::integer:
                check_integer(value, path, loc);
                return {Node::make_int(value.as_integer(), loc), first};
            case toml::value_t::floating:
                check_float(value, path, loc);
                return {Node::make_float(value.as_floating(), loc), first};
            case toml::value_t::string: return {Node::make_string(value.as_string().str, loc), first};
            case toml::value_t::array: {
                Node::Array items;
                for (const toml::value& item : value.as_array()) {
                    Converted element = convert(item, join_key_path(path, std::to_string(items.size())));
                    first = std::min(first, element.first);
                    items.push_back(std::move(element.node));
                }
                return {Node::make_array(std::move(items), loc), first};
            }
            case toml::value_t::table: {
                std::vector<std::tuple<Position, std::string, Node>> entries;
                for (const auto& [key, item] : value.as_table()) {
                    Converted entry = convert(item, join_key_path(path, key));
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
                throw ConfigError("date and time values are not supported", path, loc,
                                  "write it as a string in quotes");
        }
    }

private:
    std::string file_;
    std::vector<size_t> line_starts_;

    static const toml::detail::region* region_of(const toml::value& value) {
        return dynamic_cast<const toml::detail::region*>(toml::detail::get_region(value));
    }

    Location location_of(const toml::value& value) const {
        const toml::detail::region* region = region_of(value);
        if (!region) {
            const toml::source_location source = value.location();
            return Location{file_, static_cast<int>(source.line()), static_cast<int>(source.column())};
        }
        const size_t offset = static_cast<size_t>(region->first() - region->begin());
        const auto after = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
        const size_t line = static_cast<size_t>(after - line_starts_.begin());
        return Location{file_, static_cast<int>(line), static_cast<int>(offset - *(after - 1) + 1)};
    }

    static std::string literal_of(const toml::value& value) {
        const toml::detail::region* region = region_of(value);
        return region ? std::string(region->first(), region->last()) : std::string();
    }

    // toml11 saturates integers that do not fit (99999999999999999999 reads as INT64_MAX).
    static void check_integer(const toml::value& value, const std::string& path, const Location& loc) {
        const std::string literal = literal_of(value);
        std::string digits;
        for (const char c : literal)
            if (c != '_' && c != '+') digits += c;
        int base = 10;
        if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o' || digits[1] == 'b')) {
            base = digits[1] == 'x' ? 16 : digits[1] == 'o' ? 8 : 2;
            digits.erase(0, 2);
        }
        std::int64_t parsed = 0;
        const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), parsed, base);
        if (result.ec != std::errc::result_out_of_range) return;
        const bool negative = !digits.empty() && digits.front() == '-';
        throw OutOfRangeError(literal + " does not fit a 64-bit integer (" +
                              (negative ? "the least is " + std::to_string(INT64_MIN)
                                        : "the greatest is " + std::to_string(INT64_MAX)) + ")",
                          path, loc, "write a smaller number");
    }

    // toml11 reads 1e400 as the largest finite double; `inf` has to be written as inf.
    static void check_float(const toml::value& value, const std::string& path, const Location& loc) {
        const double number = value.as_floating();
        if (std::isnan(number) || std::fabs(number) < std::numeric_limits<double>::max()) return;
        const std::string literal = literal_of(value);
        if (literal.find("inf") != std::string::npos) return;
        std::string digits;
        for (const char c : literal)
            if (c != '_' && c != '+') digits += c;
        double parsed = 0;
        const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
        if (result.ec != std::errc::result_out_of_range) return;
        throw OutOfRangeError(literal + " is too large for a 64-bit float (the greatest is about 1.8e308)", path, loc,
                          "write inf if you mean infinity");
    }
};

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

// "it has 2097152 bytes; lighter reads at most 1 MiB (a config is small: is this the right file?)"
std::string too_large(const std::string& size) {
    return "it has " + size + " bytes; lighter reads at most " + std::to_string(kMaxConfigBytes >> 20) +
           " MiB (a config is small: is this the right file?)";
}

}  // namespace

std::string config_file_problem(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    switch (status.type()) {
        case fs::file_type::regular: break;
        case fs::file_type::not_found: return "no such file";
        case fs::file_type::directory: return "it is a directory, not a regular file";
        case fs::file_type::character: return "it is a character device, not a regular file";
        case fs::file_type::block: return "it is a block device, not a regular file";
        case fs::file_type::fifo: return "it is a FIFO, not a regular file";
        case fs::file_type::socket: return "it is a socket, not a regular file";
        default: return error ? error.message() : "it is not a regular file";
    }
    const auto size = fs::file_size(path, error);
    if (!error && size > kMaxConfigBytes) return too_large(std::to_string(size));
    return {};
}

Node parse_string(std::string_view text, std::string display_name) {
    if (text.size() > kMaxConfigBytes) {
        throw ConfigError("cannot read config (" + too_large(std::to_string(text.size())) + ")", {},
                          Location{display_name});
    }
    check_utf8(text, display_name);
    check_nesting(text, display_name);
    check_line_lengths(text, display_name);
    std::istringstream stream{std::string(text)};
    toml::value document;
    try {
        document = toml::parse(stream, display_name);
    } catch (const toml::exception& error) {
        throw syntax_error(error, display_name);
    } catch (const std::exception& error) {
        throw ConfigError(std::string("malformed TOML: ") + error.what(), {}, Location{display_name});
    }
    Node root = Converter(text, display_name).convert(document, "").node;
    root.loc = Location{display_name};
    return root;
}

Node parse_file(const std::filesystem::path& path, std::string display_name, Format* format) {
    const Location where{display_name};
    if (const std::string problem = config_file_problem(path); !problem.empty())
        throw ConfigError("cannot read config file (" + problem + ")", {}, where);
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw ConfigError("cannot read config file (" + std::string(std::strerror(errno)) + ")", {}, where);
    }
    // The size was checked above, but a file can grow (or lie, like those in /proc).
    std::string content;
    char chunk[1 << 14];
    while (content.size() <= kMaxConfigBytes && file.read(chunk, sizeof chunk).gcount() > 0)
        content.append(chunk, static_cast<size_t>(file.gcount()));
    if (file.bad()) throw ConfigError("cannot read config file (read error)", {}, where);
    if (content.size() > kMaxConfigBytes)
        throw ConfigError("cannot read config file (" + too_large("more than " + std::to_string(kMaxConfigBytes)) + ")",
                          {}, where);
    if (format) *format = is_yaml_name(display_name) ? Format::Yaml : Format::Toml;
    if (is_yaml_name(display_name)) return parse_yaml_string(content, std::move(display_name));
    try {
        return parse_string(content, display_name);
    } catch (const OutOfRangeError&) {
        throw;
    } catch (const ConfigError&) {
        std::optional<Node> yaml;
        try {
            yaml = parse_yaml_string(content, display_name);
        } catch (const ConfigError&) {
        }
        if (!yaml || yaml->table().empty()) throw;
        if (format) *format = Format::Yaml;
        return *yaml;
    }
}

}  // namespace lighter::cfg
