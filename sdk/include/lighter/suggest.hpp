#pragma once
// "Did you mean ...?": the candidates that look like a misspelling of a word. Used for config
// keys by the host, and by components for their own names (columns, parameters, ...).
#include <string>
#include <string_view>
#include <vector>

namespace lighter {

// Up to `max` candidates that look like a misspelling of `word`, best first: equal up to
// case, then by Damerau-Levenshtein distance (within about a third of the longer word), then
// candidates that extend `word` or that `word` extends.
std::vector<std::string> closest_matches(std::string_view word, const std::vector<std::string>& candidates,
                                         size_t max = 3);

}  // namespace lighter
