// Config errors: one line each, in the form users see.
//
//   error: <file>[:<line>:<column>]: <key path>: <message>[ (<suggestion>)]
//
// Parts that are unknown are left out together with their separator, e.g.
//   error: run.toml:4:7: model::optimizer::lrr: unknown parameter of torch.optim.Adam (did you mean 'lr'?)
//   error: run.toml: cannot read config file (no such file)
//   error: model::x: expected integer, got string
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lighter/suggest.hpp"

#include "config/node.hpp"

namespace lighter::cfg {

class ConfigError : public std::runtime_error {
public:
    // `suggestion` is the bare hint ("did you mean 'lr'?"); it is rendered in parentheses.
    ConfigError(std::string message, std::string key_path = {}, Location where = {},
                std::string suggestion = {});

    const std::string& file() const { return where_.file; }
    const Location& where() const { return where_; }
    const std::string& key_path() const { return key_path_; }
    const std::string& message() const { return message_; }
    const std::string& suggestion() const { return suggestion_; }

private:
    Location where_;
    std::string key_path_;
    std::string message_;
    std::string suggestion_;
};

// Several config errors found in one run (the builder goes on past a failed component to
// report the others): what() is their lines in the order found, at most kMaxReported, then
// a line saying how many more there were. The accessors of ConfigError describe the first.
class ConfigErrors : public ConfigError {
public:
    static constexpr size_t kMaxReported = 20;
    // `errors` is not empty; `more` counts errors found beyond those given (0: none known).
    explicit ConfigErrors(std::vector<ConfigError> errors, bool more_may_follow = false);

    const char* what() const noexcept override { return text_.c_str(); }
    const std::vector<ConfigError>& errors() const { return errors_; }

private:
    std::vector<ConfigError> errors_;
    std::string text_;
};

using lighter::closest_matches;  // lighter/suggest.hpp

// "did you mean 'a'?", "did you mean one of 'a', 'b'?" or "" for no matches.
std::string did_you_mean(const std::vector<std::string>& matches);
// did_you_mean(closest_matches(word, candidates)).
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

// Warnings of the config language (deprecated spellings): the host routes them to its log;
// without a sink they go to stderr as "warning: ...".
using WarningSink = std::function<void(const std::string&)>;
void set_warning_sink(WarningSink sink);
void warn(const std::string& message);

// "an integer", "a table": the noun with its indefinite article.
std::string with_article(std::string_view noun);

// "'a', 'b', 'c'" — at most `max` items, then ", ... (N in all)".
std::string quoted_list(const std::vector<std::string>& items, size_t max = 12);

}  // namespace lighter::cfg
