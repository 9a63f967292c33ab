#include "lighter/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace lighter {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Optimal string alignment distance: Levenshtein plus transposition of neighbours.
size_t edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::vector<std::string> closest_matches(std::string_view word,
                                         const std::vector<std::string>& candidates, size_t max) {
  const std::string needle = lowercase(word);
  if (needle.empty()) return {};
  struct Scored {
    size_t score;
    size_t order;
    const std::string* name;
  };
  std::vector<Scored> scored;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string candidate = lowercase(candidates[i]);
    if (candidate.empty()) continue;
    const size_t longest = std::max(needle.size(), candidate.size());
    const size_t cutoff = std::max<size_t>(1, (longest + 1) / 3);
    const size_t distance = edit_distance(needle, candidate);
    size_t score;
    if (distance <= cutoff && distance < longest) {
      score = distance;
    } else if (std::min(needle.size(), candidate.size()) >= 2 &&
                   (starts_with(candidate, needle) || starts_with(needle, candidate))) {
      score = cutoff + 1;  // prefixes rank after every close spelling
    } else {
      continue;
    }
    scored.push_back({score, i, &candidates[i]});
  }
  std::stable_sort(scored.begin(), scored.end(),
                     [](const Scored& a, const Scored& b) { return a.score < b.score; });
  std::vector<std::string> out;
  for (const Scored& s : scored) {
    if (out.size() == max) break;
    if (std::find(out.begin(), out.end(), *s.name) == out.end()) out.push_back(*s.name);
  }
  return out;
}

}  // namespace lighter
