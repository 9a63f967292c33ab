#include "config/error.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace lighter::cfg {
namespace {

std::string one_line(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::replace(text.begin(), text.end(), '\r', ' ');
    return text;
}

std::string render(const Location& where, const std::string& key_path, const std::string& message,
                   const std::string& suggestion) {
    std::string out = "error: ";
    if (const std::string place = where.str(); !place.empty()) out += place + ": ";
    if (!key_path.empty()) out += key_path + ": ";
    out += message;
    if (!suggestion.empty()) out += " (" + suggestion + ")";
    return one_line(std::move(out));
}

}  // namespace

ConfigError::ConfigError(std::string message, std::string key_path, Location where,
                         std::string suggestion)
    : std::runtime_error(render(where, key_path, message, suggestion)),
      where_(std::move(where)),
      key_path_(std::move(key_path)),
      message_(std::move(message)),
      suggestion_(std::move(suggestion)) {}

ConfigErrors::ConfigErrors(std::vector<ConfigError> errors, bool more_may_follow)
    : ConfigError(errors.at(0).message(), errors.at(0).key_path(), errors.at(0).where(), errors.at(0).suggestion()),
      errors_(std::move(errors)) {
    for (size_t i = 0; i < errors_.size() && i < kMaxReported; ++i) {
        if (i > 0) text_ += '\n';
        text_ += errors_[i].what();
    }
    if (errors_.size() > kMaxReported || more_may_follow) {
        const size_t shown = std::min(errors_.size(), kMaxReported);
        text_ += "\nerror: stopped after " + std::to_string(shown) + " config errors" +
                 (errors_.size() > shown ? " (" + std::to_string(errors_.size() - shown) + " more found)" : std::string()) +
                 "; fix these and run again";
    } else if (errors_.size() > 1) {
        text_ += "\nerror: " + std::to_string(errors_.size()) + " config errors";
    }
}

std::string did_you_mean(const std::vector<std::string>& matches) {
    if (matches.empty()) return {};
    if (matches.size() == 1) return "did you mean '" + matches.front() + "'?";
    return "did you mean one of " + quoted_list(matches) + "?";
}

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
    return did_you_mean(closest_matches(word, candidates));
}

std::string with_article(std::string_view noun) {
    const bool vowel = !noun.empty() && std::string_view("aeiouAEIOU").find(noun.front()) != std::string_view::npos;
    return (vowel ? "an " : "a ") + std::string(noun);
}

std::string quoted_list(const std::vector<std::string>& items, size_t max) {
    std::string out;
    for (size_t i = 0; i < items.size() && i < max; ++i) {
        if (i > 0) out += ", ";
        out += "'" + items[i] + "'";
    }
    if (items.size() > max) out += ", ... (" + std::to_string(items.size()) + " in all)";
    return out;
}

namespace {
WarningSink& warning_sink() {
    static WarningSink sink;
    return sink;
}
}  // namespace

void set_warning_sink(WarningSink sink) { warning_sink() = std::move(sink); }

void warn(const std::string& message) {
    if (warning_sink()) return warning_sink()(message);
    std::string line = "warning: ";
    line += message;
    line += '\n';
    std::fputs(line.c_str(), stderr);
}

}  // namespace lighter::cfg
