#include "config/limits.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "config/error.hpp"

namespace lighter::cfg {

const char* const kFlattenHint = "a config is small: flatten it";

namespace {

// Follows TOML just enough to know the level of every key and value: strings and comments
// are skipped, `[` and `{` open a level, and key parts (`a.b`, `"a::b"`) add theirs. Where the
// text is not valid TOML it errs on the side of counting more, never less.
class NestingScanner {
public:
    explicit NestingScanner(std::string_view text) : text_(text) {}

    void run() {
        while (at_ < text_.size()) step();
    }

    int deepest() const { return deepest_; }
    size_t first_too_deep() const { return first_too_deep_; }

private:
    enum class Mode { LineStart, Key, Value, AfterValue };
    struct Frame {
        char close;
        int depth;  // level of the values inside (for `{`: of the table itself; its keys add theirs)
    };

    std::string_view text_;
    size_t at_ = 0;
    Mode mode_ = Mode::LineStart;
    std::vector<Frame> frames_;
    int section_depth_ = 0;  // level of the table the last [header] opened
    int key_base_ = 0, key_parts_ = 0, value_depth_ = 0;
    int deepest_ = 0;
    size_t first_too_deep_ = std::string_view::npos;

    void reach(int depth, size_t where) {
        deepest_ = std::max(deepest_, depth);
        if (depth > kMaxNesting && first_too_deep_ == std::string_view::npos) first_too_deep_ = where;
    }

    int container_depth() const { return frames_.empty() ? section_depth_ : frames_.back().depth; }

    void start_key(int base) {
        mode_ = Mode::Key;
        key_base_ = base;
        key_parts_ = 1;
    }

    void add_key_parts(int parts) {
        key_parts_ += parts;
        reach(key_base_ + key_parts_, at_);
    }

    // Skips the string starting at at_ (any of the four TOML kinds); returns how many `::`
    // separators it holds (a quoted key "a::b" is a path of two parts).
    int skip_string() {
        const char quote = text_[at_];
        const std::string_view triple = quote == '"' ? "\"\"\"" : "'''";
        const bool multiline = text_.substr(at_, 3) == triple;
        size_t i = at_ + (multiline ? 3 : 1);
        int separators = 0;
        while (i < text_.size()) {
            const char c = text_[i];
            if (quote == '"' && c == '\\') {
                i += 2;
            } else if (c == '\n' && !multiline) {
                break;  // unterminated: toml11 stops here too
            } else if (c == quote && !multiline) {
                ++i;
                break;
            } else if (c == quote && text_.substr(i, 3) == triple) {
                i += 3;
                for (int extra = 0; extra < 2 && i < text_.size() && text_[i] == quote; ++extra) ++i;
                break;
            } else if (c == ':' && i + 1 < text_.size() && text_[i + 1] == ':') {
                ++separators;
                i += 2;
            } else {
                ++i;
            }
        }
        at_ = std::min(i, text_.size());
        return separators;
    }

    void header() {
        const size_t start = at_;
        const bool array_of_tables = text_.substr(at_, 2) == "[[";
        at_ += array_of_tables ? 2 : 1;
        int parts = 1;
        while (at_ < text_.size() && text_[at_] != ']' && text_[at_] != '\n') {
            if (text_[at_] == '"' || text_[at_] == '\'') {
                parts += skip_string();
                continue;
            }
            if (text_[at_] == '.') ++parts;
            ++at_;
        }
        section_depth_ = parts + (array_of_tables ? 1 : 0);
        reach(section_depth_, start);
        mode_ = Mode::AfterValue;
    }

    void open(char c) {
        const int depth = mode_ == Mode::Value ? value_depth_ : container_depth() + 1;
        if (c == '[') {
            frames_.push_back({']', depth + 1});
            reach(depth + 1, at_);
            mode_ = Mode::Value;
            value_depth_ = depth + 1;
        } else {
            frames_.push_back({'}', depth});
            reach(depth, at_);
            start_key(depth);
        }
        ++at_;
    }

    void close(char c) {
        if (!frames_.empty() && frames_.back().close == c) frames_.pop_back();
        mode_ = Mode::AfterValue;
        ++at_;
    }

    void comma() {
        if (!frames_.empty() && frames_.back().close == ']') {
            mode_ = Mode::Value;
            value_depth_ = frames_.back().depth;
        } else if (!frames_.empty()) {
            start_key(frames_.back().depth);
        }
        ++at_;
    }

    void step() {
        const char c = text_[at_];
        if (c == '\n') {
            if (frames_.empty()) mode_ = Mode::LineStart;
            ++at_;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ++at_;
        } else if (c == '#') {
            while (at_ < text_.size() && text_[at_] != '\n') ++at_;
        } else if (mode_ == Mode::LineStart && c == '[') {
            header();
        } else if (c == '"' || c == '\'') {
            if (mode_ == Mode::LineStart) start_key(section_depth_);
            const int separators = skip_string();
            if (mode_ == Mode::Key) add_key_parts(separators);
            if (mode_ == Mode::Value) mode_ = Mode::AfterValue;
        } else if (c == '[' || c == '{') {
            open(c);
        } else if (c == ']' || c == '}') {
            close(c);
        } else if (c == ',') {
            comma();
        } else {
            if (mode_ == Mode::LineStart) start_key(section_depth_);
            if (mode_ == Mode::Key && c == '.') add_key_parts(1);
            if (mode_ == Mode::Key && c == '=') {
                value_depth_ = key_base_ + key_parts_;
                reach(value_depth_, at_);
                mode_ = Mode::Value;
            } else if (mode_ == Mode::Value) {
                mode_ = Mode::AfterValue;  // a bare value: number, boolean, date
            }
            ++at_;
        }
    }
};

Location location_at(std::string_view text, size_t offset, const std::string& file) {
    const std::string_view before = text.substr(0, offset);
    const auto line = std::count(before.begin(), before.end(), '\n') + 1;
    const size_t line_start = before.rfind('\n');
    const size_t column = offset - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    return Location{file, static_cast<int>(std::min<long>(line, INT32_MAX)),
                    static_cast<int>(std::min<size_t>(column, INT32_MAX))};
}

// Length of the UTF-8 sequence at `at` (strict: no overlong forms, surrogates or code points
// above U+10FFFF, as toml11 lexes it), 0 when it is invalid.
size_t utf8_length(std::string_view text, size_t at) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    if (lead < 0x80) return 1;
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) length = 2;
    else if (lead == 0xE0) length = 3, low = 0xA0;
    else if (lead == 0xED) length = 3, high = 0x9F;
    else if (lead >= 0xE1 && lead <= 0xEF) length = 3;
    else if (lead == 0xF0) length = 4, low = 0x90;
    else if (lead == 0xF4) length = 4, high = 0x8F;
    else if (lead >= 0xF1 && lead <= 0xF3) length = 4;
    else return 0;
    if (at + length > text.size() || byte(at + 1) < low || byte(at + 1) > high) return 0;
    for (size_t i = at + 2; i < at + length; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    return length;
}

}  // namespace

void check_utf8(std::string_view text, const std::string& file) {
    for (size_t at = 0; at < text.size();) {
        const size_t length = utf8_length(text, at);
        if (length == 0) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(text[at])));
            throw ConfigError(std::string("invalid UTF-8 (byte ") + hex + "); a config is UTF-8 text", {},
                              location_at(text, at, file), "save the file as UTF-8");
        }
        at += length;
    }
}

void check_line_lengths(std::string_view text, const std::string& file) {
    size_t line = 1, start = 0;
    while (start <= text.size()) {
        const size_t end = std::min(text.find('\n', start), text.size());
        if (end - start > kMaxLineBytes) {
            throw ConfigError("line " + std::to_string(line) + " has " + std::to_string(end - start) +
                                  " characters; lighter accepts at most " + std::to_string(kMaxLineBytes) + " a line",
                              {}, Location{file, static_cast<int>(std::min<size_t>(line, INT32_MAX)), static_cast<int>(kMaxLineBytes + 1)},
                              "break it over several lines");
        }
        start = end + 1;
        ++line;
    }
}

void check_nesting(std::string_view text, const std::string& file) {
    NestingScanner scanner(text);
    scanner.run();
    if (scanner.first_too_deep() == std::string_view::npos) return;
    throw ConfigError("arrays and tables nest " + std::to_string(scanner.deepest()) +
                          " levels deep; lighter accepts at most " + std::to_string(kMaxNesting),
                      {}, location_at(text, scanner.first_too_deep(), file), kFlattenHint);
}

int depth_of(const Node& node) {
    int deepest = 0;
    std::vector<std::pair<const Node*, int>> pending{{&node, 0}};
    while (!pending.empty()) {
        const auto [current, depth] = pending.back();
        pending.pop_back();
        deepest = std::max(deepest, depth);
        if (current->is_array())
            for (const Node& item : current->array()) pending.emplace_back(&item, depth + 1);
        if (current->is_table())
            for (const auto& entry : current->table()) pending.emplace_back(&entry.second, depth + 1);
    }
    return deepest;
}

size_t size_of(const Node& node) {
    size_t count = 0;
    std::vector<const Node*> pending{&node};
    while (!pending.empty()) {
        const Node* current = pending.back();
        pending.pop_back();
        ++count;
        if (current->is_array())
            for (const Node& item : current->array()) pending.push_back(&item);
        if (current->is_table())
            for (const auto& entry : current->table()) pending.push_back(&entry.second);
    }
    return count;
}

void check_key_path_length(size_t parts, const std::string& what, const Location& where) {
    if (parts <= static_cast<size_t>(kMaxNesting)) return;
    throw ConfigError(what + " has " + std::to_string(parts) + " parts; lighter accepts at most " +
                          std::to_string(kMaxNesting),
                      {}, where, kFlattenHint);
}

}  // namespace lighter::cfg
