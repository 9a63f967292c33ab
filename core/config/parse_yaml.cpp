// YAML text -> Node with the semantics Lighter's configs have under PyYAML's safe_load: YAML 1.1
// booleans (yes/no/on/off too), null (~, null, empty), PyYAML's integers (0x, 0o, 0b, a leading
// 0 is octal) and floats, merge keys (`<<`). Numbers PyYAML leaves as strings because they lack
// a dot (`1e-3`) are read as floats: that is what the author meant, and torch would reject the
// string. Anything PyYAML's safe loader refuses (python tags) is an error here too.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <map>
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

// The value kinds YAML's standard tags name; other tags are refused (PyYAML's safe loader does too).
std::string shown_tag(const std::string& tag) {
    return tag.rfind(kTagPrefix, 0) == 0 ? "!!" + tag.substr(kTagPrefix.size()) : tag;
}

void check_tag(const std::string& tag, const std::string& kind, const std::string& path, const Location& where) {
    if (tag.empty() || tag == "?" || tag == "!" || tag == kTagPrefix + kind) return;
    throw ConfigError("YAML tag '" + shown_tag(tag) + "' is not supported here", path, where,
                      "remove the tag: a config holds plain values, lists and mappings");
}

Node plain_scalar(const std::string& text, const std::string& path, const Location& where) {
    if (is_null_text(text)) return Node::make_null(where);
    if (const auto flag = yaml_bool(text)) return Node::make_bool(*flag, where);
    if (const auto integer = yaml_int(text, path, where)) return Node::make_int(*integer, where);
    if (const auto number = yaml_float(text, path, where)) return Node::make_float(*number, where);
    return Node::make_string(text, where);
}

Node tagged_scalar(const std::string& text, const std::string& tag, const std::string& path, const Location& where) {
    if (tag == "!" || tag == kTagPrefix + "str") return Node::make_string(text, where);
    if (tag == "?" || tag.empty()) return plain_scalar(text, path, where);
    const std::string kind = tag.rfind(kTagPrefix, 0) == 0 ? tag.substr(kTagPrefix.size()) : "";
    const Node value = plain_scalar(text, path, where);
    if (kind == "float" && value.is_int()) return Node::make_float(static_cast<double>(value.as_int()), where);
    const bool fits = (kind == "int" && value.is_int()) || (kind == "float" && value.is_number()) ||
                      (kind == "bool" && value.is_bool()) || (kind == "null" && value.is_null());
    if (fits) return value;
    if (kind == "int" || kind == "float" || kind == "bool" || kind == "null")
        throw ConfigError("'" + text + "' is not a valid " + shown_tag(tag) + " value", path, where);
    check_tag(tag, "str", path, where);
    return Node::make_string(text, where);
}

// Builds Nodes from yaml-cpp's parser events. yaml-cpp 0.7 emits events without end on some
// malformed documents (`, a`), so the events are counted against the size of the text.
class TreeBuilder : public YAML::EventHandler {
public:
    TreeBuilder(std::string file, std::size_t text_size) : file_(std::move(file)), budget_(4 * text_size + 64) {}

    std::optional<Node> root;

    void OnDocumentStart(const YAML::Mark& mark) override {
        tick(mark);
        if (++documents_ > 1)
            throw ConfigError("the file holds more than one YAML document; a config is one", {}, where(mark),
                              "remove the '---' separators, or split it into files given one after another");
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        tick(mark);
        add(Node::make_null(where(mark)), std::nullopt, anchor, mark);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        tick(mark);
        const auto it = anchors_.find(anchor);
        if (it == anchors_.end()) throw ConfigError("an alias names an unknown anchor", path_here(), where(mark));
        count(size_of(it->second), mark);
        add(it->second, std::nullopt, 0, mark);
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
        tick(mark);
        const bool is_key = !stack_.empty() && stack_.back().is_map && !stack_.back().key;
        const std::string path = path_here();
        Node node = is_key ? Node::make_string(value, where(mark)) : tagged_scalar(value, tag, path, where(mark));
        const bool merge_key = is_key && value == "<<" && tag == "?";
        add(std::move(node), merge_key ? std::optional<std::string>("<<") : std::optional<std::string>(value), anchor, mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        tick(mark);
        open(Node::make_array({}, where(mark)), false, tag, "seq", anchor, mark);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        tick(mark);
        open(Node::make_table({}, where(mark)), true, tag, "map", anchor, mark);
    }
    void OnMapEnd() override {
        Frame& frame = stack_.back();
        for (const Node& source : frame.merges) merge_into_table(frame.node, source, frame.path);
        close();
    }

private:
    struct Frame {
        Node node;
        bool is_map;
        std::string path;
        YAML::anchor_t anchor;
        std::optional<std::string> key;  // a map's key waiting for its value
        Location key_where;
        std::vector<Node> merges;  // `<<` sources, applied at the end
    };

    std::string file_;
    std::size_t budget_;
    std::size_t events_ = 0;
    std::size_t values_ = 0;
    int documents_ = 0;
    std::vector<Frame> stack_;
    std::map<YAML::anchor_t, Node> anchors_;

    Location where(const YAML::Mark& mark) const { return location_of(mark, file_); }

    void tick(const YAML::Mark& mark) {
        if (++events_ > budget_)
            throw ConfigError("malformed YAML: the parser does not come to an end here", {}, where(mark),
                              "check the syntax: a config is keys with values, lists and mappings");
    }

    void count(std::size_t values, const YAML::Mark& mark) {
        values_ += values;
        if (values_ > kMaxCopiedValues)
            throw ConfigError("the YAML document holds more than " + std::to_string(kMaxCopiedValues) +
                                  " values once its aliases are expanded",
                              path_here(), where(mark), kFlattenHint);
    }

    // The key path the next value gets.
    std::string path_here() const {
        if (stack_.empty()) return {};
        const Frame& frame = stack_.back();
        if (!frame.is_map) return join_key_path(frame.path, std::to_string(frame.node.array().size()));
        return frame.key && *frame.key != "<<" ? join_key_path(frame.path, *frame.key) : frame.path;
    }

    void open(Node node, bool is_map, const std::string& tag, const std::string& kind, YAML::anchor_t anchor,
              const YAML::Mark& mark) {
        const std::string path = path_here();
        if (!stack_.empty() && stack_.back().is_map && !stack_.back().key)
            throw ConfigError("a mapping key is a list or a mapping; keys must be plain names", path, where(mark));
        check_tag(tag, kind, path, where(mark));
        if (static_cast<int>(stack_.size()) >= kMaxNesting)
            throw ConfigError("lists and mappings nest more than " + std::to_string(kMaxNesting) +
                                  " levels deep; lighter accepts at most " + std::to_string(kMaxNesting),
                              path, where(mark), kFlattenHint);
        count(1, mark);
        stack_.push_back(Frame{std::move(node), is_map, path, anchor, std::nullopt, {}, {}});
    }

    void close() {
        Frame frame = std::move(stack_.back());
        stack_.pop_back();
        const Location at = frame.node.loc;
        add(std::move(frame.node), std::nullopt, frame.anchor, YAML::Mark::null_mark(), at);
    }

    void add(Node value, std::optional<std::string> key_text, YAML::anchor_t anchor, const YAML::Mark& mark,
             std::optional<Location> at = std::nullopt) {
        const Location here = at ? *at : where(mark);
        if (anchor != 0) anchors_[anchor] = value;
        if (!at) count(1, mark);
        if (stack_.empty()) {
            root = std::move(value);
            return;
        }
        Frame& frame = stack_.back();
        if (!frame.is_map) {
            frame.node.array().push_back(std::move(value));
            return;
        }
        if (!frame.key) {
            if (!key_text)
                throw ConfigError(value.is_null() ? "a mapping key is empty or null" : "keys must be plain names",
                                  frame.path, here, "give every key a name");
            if (*key_text != "<<" && frame.node.find(*key_text))
                throw ConfigError("duplicate key '" + *key_text + "' in this mapping", join_key_path(frame.path, *key_text),
                                  here, "write each key once (YAML keeps only the last)");
            if (frame.node.table().size() >= kMaxTableKeys)
                throw ConfigError("a mapping holds more than " + std::to_string(kMaxTableKeys) + " keys", frame.path, here,
                                  "a config is small: is this the right file?");
            frame.key = *key_text;
            frame.key_where = here;
            return;
        }
        if (*frame.key == "<<") {
            frame.merges.push_back(std::move(value));
        } else {
            frame.node.table().emplace_back(*frame.key, std::move(value));
        }
        frame.key.reset();
    }

    // YAML's merge key: the keys of the merged mapping(s) that the table does not set itself.
    static void merge_into_table(Node& table, const Node& source, const std::string& path) {
        if (source.is_array()) {
            for (const Node& item : source.array()) merge_into_table(table, item, path);
            return;
        }
        if (!source.is_table())
            throw ConfigError("the merge key '<<' needs a mapping or a list of mappings", join_key_path(path, "<<"),
                              source.loc, "write <<: *anchor");
        for (const auto& [key, value] : source.table())
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

Node resolve_yaml_plain(const std::string& text) { return plain_scalar(text, "", Location{}); }

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
    TreeBuilder builder(display_name, text.size());
    try {
        std::istringstream stream{std::string(text)};
        YAML::Parser parser(stream);
        while (parser.HandleNextDocument(builder)) {
        }
    } catch (const YAML::Exception& error) {
        std::string message = error.msg;
        if (!message.empty()) message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
        if (dynamic_cast<const YAML::DeepRecursion*>(&error))
            throw ConfigError("lists and mappings nest too deep; lighter accepts at most " + std::to_string(kMaxNesting) +
                                  " levels",
                              {}, location_of(error.mark, display_name), kFlattenHint);
        throw ConfigError("malformed YAML: " + message, {}, location_of(error.mark, display_name));
    }
    if (!builder.root || builder.root->is_null()) return Node::make_table({}, Location{display_name});
    Node root = std::move(*builder.root);
    if (!root.is_table()) {
        throw ConfigError("a config must be a mapping of keys (like 'trainer:' and 'model:'), got " +
                              with_article(root.type_name()),
                          {}, root.loc);
    }
    root.loc = Location{display_name};
    return root;
}

}  // namespace lighter::cfg
