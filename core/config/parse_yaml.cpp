// YAML text -> Node with the semantics Lighter's configs have under PyYAML's safe_load: YAML 1.1
// booleans (yes/no/on/off too), null (~, null, empty), PyYAML's integers (0x, 0o, 0b, a leading
// 0 is octal) and floats, merge keys (`<<`). Numbers PyYAML leaves as strings because they lack
// a dot (`1e-3`) are read as floats: that is what the author meant, and torch would reject the
// string. Anything PyYAML's safe loader refuses (python tags) is an error here too.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <optional>
#include <regex>
#include <sstream>

#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/limits.hpp"
#include "config/parse.hpp"

namespace lighter::cfg {
namespace {

const std::string kTagPrefix = "tag:yaml.org,2002:";

Location location_of(const YAML::Mark& mark, const std::string& file) {
    if (mark.is_null()) return Location{file};
    return Location{file, mark.line + 1, mark.column + 1};
}

bool matches(const std::string& text, const std::regex& pattern) { return std::regex_match(text, pattern); }

std::optional<bool> yaml_bool(const std::string& text) {
    static const std::regex yes("true|True|TRUE|yes|Yes|YES|on|On|ON");
    static const std::regex no("false|False|FALSE|no|No|NO|off|Off|OFF");
    if (matches(text, yes)) return true;
    if (matches(text, no)) return false;
    return std::nullopt;
}

std::string without_underscores(const std::string& text) {
    std::string out;
    for (const char c : text)
        if (c != '_') out += c;
    return out;
}

// PyYAML's int forms (sexagesimal 1:30 aside). Throws OutOfRangeError beyond 64 bits.
std::optional<std::int64_t> yaml_int(const std::string& text, const std::string& path, const Location& where) {
    static const std::regex pattern("[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|0|[1-9][0-9_]*)");
    if (!matches(text, pattern)) return std::nullopt;
    std::string digits = without_underscores(text);
    const bool negative = digits[0] == '-';
    if (digits[0] == '-' || digits[0] == '+') digits.erase(0, 1);
    int base = 10;
    if (digits.size() > 1 && digits[0] == '0') {
        const char marker = digits[1];
        base = marker == 'b' ? 2 : marker == 'x' ? 16 : 8;
        digits.erase(0, marker == 'b' || marker == 'x' || marker == 'o' ? 2 : 1);
    }
    if (negative) digits.insert(0, "-");
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (error == std::errc::result_out_of_range) {
        throw OutOfRangeError(text + " does not fit a 64-bit integer (" +
                                  (negative ? "the least is " + std::to_string(INT64_MIN)
                                            : "the greatest is " + std::to_string(INT64_MAX)) + ")",
                              path, where, "write a smaller number");
    }
    if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

std::optional<double> yaml_float(const std::string& text, const std::string& path, const Location& where) {
    static const std::regex pattern(
        "[-+]?([0-9][0-9_]*)?\\.?[0-9_]*([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
    static const std::regex has_digit(".*[0-9].*");
    if (!matches(text, pattern)) return std::nullopt;
    if (text.find("nan") != std::string::npos || text.find("NaN") != std::string::npos ||
        text.find("NAN") != std::string::npos)
        return std::numeric_limits<double>::quiet_NaN();
    if (text.find_first_of("iI") != std::string::npos)
        return text[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    const std::string digits = without_underscores(text);
    if (!matches(digits, has_digit)) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size()) return std::nullopt;
    if (std::isinf(value)) {
        throw OutOfRangeError(text + " is too large for a 64-bit float (the greatest is about 1.8e308)", path, where,
                              "write .inf if you mean infinity");
    }
    return value;
}

bool is_null_text(const std::string& text) { return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL"; }

class YamlConverter {
public:
    explicit YamlConverter(std::string file) : file_(std::move(file)) {}

    Node convert(const YAML::Node& node, const std::string& path, int depth) {
        const Location where = location_of(node.Mark(), file_);
        if (depth > kMaxNesting) {
            throw ConfigError("lists and mappings nest more than " + std::to_string(kMaxNesting) +
                                  " levels deep; lighter accepts at most " + std::to_string(kMaxNesting),
                              path, where, kFlattenHint);
        }
        if (++converted_ > kMaxCopiedValues) {
            throw ConfigError("the YAML document holds more than " + std::to_string(kMaxCopiedValues) +
                                  " values once its aliases are expanded",
                              path, where, kFlattenHint);
        }
        switch (node.Type()) {
            case YAML::NodeType::Null: return null_or_tagged(node, path, where);
            case YAML::NodeType::Scalar: return scalar(node, path, where);
            case YAML::NodeType::Sequence: {
                check_tag(node, "seq", path, where);
                Node::Array items;
                for (const YAML::Node& item : node)
                    items.push_back(convert(item, join_key_path(path, std::to_string(items.size())), depth + 1));
                return Node::make_array(std::move(items), where);
            }
            case YAML::NodeType::Map: return mapping(node, path, where, depth);
            default: return Node::make_null(where);
        }
    }

private:
    std::string file_;
    std::size_t converted_ = 0;

    // Only YAML's standard tags have a meaning; PyYAML's safe loader refuses the rest as well.
    static void check_tag(const YAML::Node& node, const std::string& kind, const std::string& path,
                          const Location& where) {
        const std::string& tag = node.Tag();
        if (tag.empty() || tag == "?" || tag == "!" || tag == kTagPrefix + kind) return;
        throw ConfigError("YAML tag '" + shown_tag(tag) + "' is not supported here", path, where,
                          "remove the tag: a config holds plain values, lists and mappings");
    }

    static std::string shown_tag(const std::string& tag) {
        return tag.rfind(kTagPrefix, 0) == 0 ? "!!" + tag.substr(kTagPrefix.size()) : tag;
    }

    static Node null_or_tagged(const YAML::Node& node, const std::string& path, const Location& where) {
        if (node.Tag() == kTagPrefix + "str") return Node::make_string("", where);
        check_tag(node, "null", path, where);
        return Node::make_null(where);
    }

    static Node scalar(const YAML::Node& node, const std::string& path, const Location& where) {
        const std::string& text = node.Scalar();
        const std::string& tag = node.Tag();
        if (tag == "!" || tag == kTagPrefix + "str") return Node::make_string(text, where);
        if (tag == "?") return plain_scalar(text, path, where);
        const std::string kind = tag.rfind(kTagPrefix, 0) == 0 ? tag.substr(kTagPrefix.size()) : "";
        const Node value = plain_scalar(text, path, where);
        const bool fits = (kind == "int" && value.is_int()) || (kind == "float" && value.is_number()) ||
                          (kind == "bool" && value.is_bool()) || (kind == "null" && value.is_null());
        if (kind == "float" && value.is_int()) return Node::make_float(static_cast<double>(value.as_int()), where);
        if (fits) return value;
        if (kind == "int" || kind == "float" || kind == "bool" || kind == "null")
            throw ConfigError("'" + text + "' is not a valid " + shown_tag(tag) + " value", path, where);
        check_tag(node, "str", path, where);
        return Node::make_string(text, where);
    }

public:
    static Node plain_scalar(const std::string& text, const std::string& path, const Location& where) {
        if (is_null_text(text)) return Node::make_null(where);
        if (const auto flag = yaml_bool(text)) return Node::make_bool(*flag, where);
        if (const auto integer = yaml_int(text, path, where)) return Node::make_int(*integer, where);
        if (const auto number = yaml_float(text, path, where)) return Node::make_float(*number, where);
        return Node::make_string(text, where);
    }

private:
    std::string key_of(const YAML::Node& key, const std::string& path, const Location& where) const {
        if (key.Type() == YAML::NodeType::Scalar) return key.Scalar();
        if (key.Type() == YAML::NodeType::Null)
            throw ConfigError("a mapping key is empty or null", path, where, "give every key a name");
        throw ConfigError("a mapping key is a list or a mapping; keys must be plain names", path, where);
    }

    Node mapping(const YAML::Node& node, const std::string& path, const Location& where, int depth) {
        check_tag(node, "map", path, where);
        Node table = Node::make_table({}, where);
        std::vector<YAML::Node> merged;  // `<<: *base` entries, applied after the explicit keys
        for (auto it = node.begin(); it != node.end(); ++it) {
            const Location key_where = location_of(it->first.Mark(), file_);
            const std::string key = key_of(it->first, path, key_where);
            if (key == "<<" && it->first.Tag() == "?") {
                merged.push_back(it->second);
                continue;
            }
            const std::string key_path = join_key_path(path, key);
            if (table.find(key)) {
                throw ConfigError("duplicate key '" + key + "' in this mapping", key_path, key_where,
                                  "write each key once (YAML keeps only the last)");
            }
            if (table.table().size() >= kMaxTableKeys)
                throw ConfigError("a mapping holds more than " + std::to_string(kMaxTableKeys) + " keys", key_path,
                                  key_where, "a config is small: is this the right file?");
            table.table().emplace_back(key, convert(it->second, key_path, depth + 1));
        }
        for (const YAML::Node& source : merged) merge_key(table, source, path, depth);
        return table;
    }

    // YAML's merge key: the keys of the aliased mapping(s) the table does not set itself.
    void merge_key(Node& table, const YAML::Node& source, const std::string& path, int depth) {
        const Location where = location_of(source.Mark(), file_);
        if (source.IsSequence()) {
            for (const YAML::Node& item : source) merge_key(table, item, path, depth);
            return;
        }
        if (!source.IsMap())
            throw ConfigError("the merge key '<<' needs a mapping or a list of mappings", join_key_path(path, "<<"),
                              where, "write <<: *anchor");
        const Node copy = mapping(source, path, where, depth);
        for (const auto& [key, value] : copy.table())
            if (!table.find(key)) table.table().emplace_back(key, value);
    }
};

std::string_view trim_front(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
    return text;
}

bool starts_marker(std::string_view line, std::string_view marker) {
    return line.substr(0, 3) == marker && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

// Where a quoted scalar at the start of `text` ends (the closing quote), or npos.
std::size_t closing_quote(std::string_view text) {
    const char quote = text.front();
    for (std::size_t i = 1; i < text.size(); ++i) {
        if (quote == '"' && text[i] == '\\') ++i;
        else if (quote == '\'' && text[i] == '\'' && i + 1 < text.size() && text[i + 1] == '\'') ++i;
        else if (text[i] == quote) return i;
    }
    return std::string_view::npos;
}

// A config's document is a mapping with plain (or quoted) keys, so its first node can never be
// a flow collection or a quoted scalar that is not a key. yaml-cpp 0.7 never returns from some
// such documents (`[1], b`), so they are refused before it sees them.
void check_document_roots(std::string_view text, const std::string& file) {
    bool document_start = true;
    std::size_t line_start = 0;
    for (int line_number = 1; line_start <= text.size(); ++line_number) {
        std::size_t end = text.find('\n', line_start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view rest = text.substr(line_start, end - line_start);
        const std::size_t line_begin = line_start;
        line_start = end + 1;
        if (starts_marker(rest, "...")) {
            document_start = true;
            continue;
        }
        const bool marker = starts_marker(rest, "---");
        if (marker) {
            document_start = true;
            rest.remove_prefix(3);
        }
        if (!document_start || (!marker && !rest.empty() && rest.front() == '%')) continue;
        rest = trim_front(rest);
        while (!rest.empty() && (rest.front() == '&' || rest.front() == '!')) {  // anchors and tags
            while (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') rest.remove_prefix(1);
            rest = trim_front(rest);
        }
        if (rest.empty() || rest.front() == '#') continue;
        document_start = false;
        const Location where{file, line_number, static_cast<int>(rest.data() - text.data() - line_begin) + 1};
        const std::string hint = "write it as keys with values, like 'trainer:' on its own line";
        if (rest.front() == '[' || rest.front() == '{')
            throw ConfigError(std::string("a config must be a mapping of keys, got a flow ") +
                                  (rest.front() == '[' ? "list" : "mapping"), {}, where, hint);
        const bool indicator = std::string_view(",]}|>@`*").find(rest.front()) != std::string_view::npos;
        const bool lone = std::string_view("-?:").find(rest.front()) != std::string_view::npos &&
                          (rest.size() == 1 || rest[1] == ' ' || rest[1] == '\t' || rest[1] == '\r');
        if (indicator || lone)
            throw ConfigError(std::string("a config must be a mapping of keys, got ") +
                                  (rest.front() == '-' ? "a list" : "'" + std::string(1, rest.front()) + "' first"),
                              {}, where, hint);
        if (rest.front() == '"' || rest.front() == '\'') {
            const std::size_t close = closing_quote(rest);
            const std::string_view after = close == std::string_view::npos ? "" : trim_front(rest.substr(close + 1));
            if (after.empty() || after.front() != ':')
                throw ConfigError("a config must be a mapping of keys, got a quoted string", {}, where, hint);
        }
    }
}

}  // namespace

Node resolve_yaml_plain(const std::string& text) { return YamlConverter::plain_scalar(text, "", Location{}); }

bool is_yaml_name(std::string_view name) {
    for (const std::string_view suffix : {".yaml", ".yml", ".YAML", ".YML"}) {
        if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) return true;
    }
    return false;
}

Node parse_yaml_string(std::string_view text, std::string display_name) {
    if (text.size() > kMaxConfigBytes)
        throw ConfigError("cannot read config (it has " + std::to_string(text.size()) + " bytes; lighter reads at most " +
                              std::to_string(kMaxConfigBytes >> 20) + " MiB)",
                          {}, Location{display_name});
    check_utf8(text, display_name);
    check_line_lengths(text, display_name);
    check_document_roots(text, display_name);
    std::vector<YAML::Node> documents;
    try {
        std::istringstream stream{std::string(text)};
        documents = YAML::LoadAll(stream);
    } catch (const YAML::Exception& error) {
        std::string message = error.msg;
        if (!message.empty()) message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
        if (dynamic_cast<const YAML::DeepRecursion*>(&error))
            throw ConfigError("lists and mappings nest too deep; lighter accepts at most " + std::to_string(kMaxNesting) +
                                  " levels",
                              {}, location_of(error.mark, display_name), kFlattenHint);
        throw ConfigError("malformed YAML: " + message, {}, location_of(error.mark, display_name));
    }
    if (documents.size() > 1) {
        throw ConfigError("the file holds " + std::to_string(documents.size()) + " YAML documents; a config is one",
                          {}, location_of(documents[1].Mark(), display_name),
                          "remove the '---' separators, or split it into files given one after another");
    }
    if (documents.empty() || documents[0].IsNull()) return Node::make_table({}, Location{display_name});
    YamlConverter converter(display_name);
    Node root = converter.convert(documents[0], "", 0);
    if (!root.is_table()) {
        throw ConfigError("a config must be a mapping of keys (like 'trainer:' and 'model:'), got " +
                              with_article(root.type_name()),
                          {}, root.loc);
    }
    root.loc = Location{display_name};
    return root;
}

}  // namespace lighter::cfg
