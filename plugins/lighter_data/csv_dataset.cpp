// lighter.datasets.CSV: a tabular dataset held in memory; `input` is the float32 feature row,
// `target` a class index (int64) or regression value(s) (float32). Every cell read as a number
// must be one: a stray word, an empty cell or nan/inf is an error naming the file, line, column
// and cell (empty cells and nan/inf are accepted with allow_nan = true). `id` names a column whose
// cells, as written, become the samples' ids (a batch holds them as a list of strings); without
// it a sample's id is its row index (a batch holds an int64 tensor).
#include <lighter/sdk.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include "csv_reader.hpp"
#include "registrations.hpp"

namespace lighter::data {

namespace {
class CsvDataset : public Dataset {
 public:
  CsvDataset(torch::Tensor features, torch::Tensor targets, std::vector<std::string> ids)
      : features_(std::move(features)), targets_(std::move(targets)), ids_(std::move(ids)) {}

  int64_t size() const override { return features_.size(0); }

  Dict get(int64_t index, torch::Generator&) const override {
    batch_indices({index}, size(), "CSV");
    c10::IValue id = ids_.empty() ? c10::IValue(index) : c10::IValue(ids_[static_cast<size_t>(index)]);
    return {{"input", features_[index]}, {"target", targets_[index]}, {"id", std::move(id)}};
  }

  Dict get_batch(const std::vector<int64_t>& indices, torch::Generator&) const override {
    torch::Tensor rows = batch_indices(indices, size(), "CSV");
    return {{"input", features_.index_select(0, rows)},
            {"target", targets_.index_select(0, rows)},
            {"id", ids_of(indices, rows)}};
  }
  bool random() const override { return false; }

 private:
  // The row indices themselves, or the id column's cells as a list of strings (as collate()
  // gathers string ids).
  c10::IValue ids_of(const std::vector<int64_t>& indices, const torch::Tensor& rows) const {
    if (ids_.empty()) return rows;
    c10::List<std::string> ids;
    ids.reserve(indices.size());
    for (const int64_t index : indices) ids.push_back(ids_[static_cast<size_t>(index)]);
    return ids;
  }

  torch::Tensor features_;        // float32 [N, F]
  torch::Tensor targets_;         // int64 [N] or float32 [N] / [N, T]
  std::vector<std::string> ids_;  // the id column's cells; empty without `id`
};

bool blank(const std::string& text) { return text.find_first_not_of(" \t") == std::string::npos; }

std::optional<double> number(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t"), end = text.find_last_not_of(" \t");
  if (begin == std::string::npos) return std::nullopt;
  if (text[begin] == '+') ++begin;
  double value = 0;
  auto [stop, error] = std::from_chars(text.data() + begin, text.data() + end + 1, value);
  if (error != std::errc() || stop != text.data() + end + 1) return std::nullopt;
  return value;
}

std::optional<double> finite_number(const std::string& text) {
  const auto value = number(text);
  return value && std::isfinite(*value) ? value : std::nullopt;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

class Columns {
 public:
  Columns(const Args& args, const std::string& path, const CsvTable& table, bool allow_nan)
      : a_(args), path_(path), t_(table), allow_nan_(allow_nan) {}

  size_t index(const std::string& key, const std::string& name) const {
    auto it = std::find(t_.columns.begin(), t_.columns.end(), name);
    if (it != t_.columns.end()) return static_cast<size_t>(it - t_.columns.begin());
    std::string best;
    const auto similar = closest_matches(name, t_.columns, 1);
    if (!similar.empty()) best = similar.front();
    a_.fail(key, "no column '" + name + "' in " + path_ + (best.empty() ? "" : "; did you mean '" + best + "'?") +
                     " (columns: " + quoted_list(t_.columns) + ")");
  }

  // The cell as a number, or a failure naming the line, column and cell; `fix` ends the message
  // of a cell that is not a number at all.
  double number_at(const std::string& key, size_t row, size_t column, const std::string& fix) const {
    const std::string& cell = t_.rows[row][column];
    const auto value = number(cell);
    if (value && (allow_nan_ || std::isfinite(*value))) return *value;
    if (allow_nan_ && blank(cell)) return std::nan("");
    const std::string where = path_ + ":" + std::to_string(t_.lines[row]) + ": column '" + t_.columns[column] + "' ";
    if (blank(cell)) a_.fail(key, where + "is empty; fill it in, or set allow_nan = true to read empty cells as NaN");
    if (value)
      a_.fail(key, where + "holds '" + cell + "', which is not a finite number; fix the cell, or set allow_nan = true " +
                       "to accept NaN and infinite values");
    a_.fail(key, where + "holds '" + cell + "', which is not a number; " + fix);
  }

  std::vector<std::string> cells(size_t column) const {
    std::vector<std::string> out;
    out.reserve(t_.rows.size());
    for (const auto& row : t_.rows) out.push_back(row[column]);
    return out;
  }

  // A column holding at least one finite number is numeric; one without is text (and skipped
  // when features are picked automatically).
  bool numeric(size_t column) const {
    return std::any_of(t_.rows.begin(), t_.rows.end(),
                       [&](const auto& row) { return finite_number(row[column]).has_value(); });
  }

  torch::Tensor floats(const std::string& key, const std::vector<size_t>& columns, const std::string& fix) const {
    torch::Tensor out = torch::empty({static_cast<int64_t>(t_.rows.size()), static_cast<int64_t>(columns.size())});
    auto data = out.accessor<float, 2>();
    for (size_t r = 0; r < t_.rows.size(); ++r)
      for (size_t c = 0; c < columns.size(); ++c) data[r][c] = static_cast<float>(number_at(key, r, columns[c], fix));
    return out;
  }

  // Class indices: non-negative integers as they are; other labels mapped to their position
  // among `classes` (default: the sorted unique labels, numerically when all are numbers).
  torch::Tensor classes(size_t column, std::vector<std::string> classes) const {
    std::vector<std::string> labels;
    for (const auto& row : t_.rows) labels.push_back(row[column]);
    check_labels(column, labels, classes.empty());
    auto is_index = [](const std::string& s) {
      auto v = number(s);
      return v && *v >= 0 && *v == std::floor(*v) && *v < 9.0e15;  // exact in a double
    };
    if (classes.empty() && std::all_of(labels.begin(), labels.end(), is_index)) {
      std::vector<int64_t> indices;
      for (const auto& label : labels) indices.push_back(static_cast<int64_t>(*number(label)));
      return torch::tensor(indices, torch::kLong);
    }
    if (classes.empty()) classes = sorted_unique(labels);
    std::map<std::string, int64_t> index_of;
    for (size_t i = 0; i < classes.size(); ++i) index_of.emplace(classes[i], static_cast<int64_t>(i));
    std::vector<int64_t> indices;
    for (size_t r = 0; r < labels.size(); ++r) {
      auto it = index_of.find(labels[r]);
      if (it == index_of.end())
        a_.fail("classes", path_ + ":" + std::to_string(t_.lines[r]) + ": label '" + labels[r] + "' of column '" +
                               t_.columns[column] + "' is not one of " + quoted_list(classes));
      indices.push_back(it->second);
    }
    std::string mapping;
    for (size_t i = 0; i < classes.size(); ++i)
      mapping += (i ? ", " : "") + std::to_string(i) + " = '" + classes[i] + "'";
    log::info("CSV " + path_ + ": classes of column '" + t_.columns[column] + "': " + mapping);
    return torch::tensor(indices, torch::kLong);
  }

 private:
  // Every row needs a label; without `classes`, labels are all numbers or all words, so one
  // stray cell cannot turn class indices into string classes.
  void check_labels(size_t column, const std::vector<std::string>& labels, bool derive_classes) const {
    auto where = [&](size_t row) {
      return path_ + ":" + std::to_string(t_.lines[row]) + ": column '" + t_.columns[column] + "' ";
    };
    std::optional<size_t> first_number, first_word;
    for (size_t r = 0; r < labels.size(); ++r) {
      if (blank(labels[r])) a_.fail("target", where(r) + "is empty; every row needs a class label");
      auto& first = finite_number(labels[r]) ? first_number : first_word;
      if (!first) first = r;
    }
    if (derive_classes && first_number && first_word)
      a_.fail("target", where(*first_word) + "holds '" + labels[*first_word] + "', which is not a number, but line " +
                            std::to_string(t_.lines[*first_number]) + " holds '" + labels[*first_number] +
                            "'; fix the cell, or list every label in `classes`");
  }

  static std::vector<std::string> sorted_unique(std::vector<std::string> labels) {
    const bool numbers = std::all_of(labels.begin(), labels.end(), [](const auto& s) { return finite_number(s).has_value(); });
    std::sort(labels.begin(), labels.end(),
              [&](const std::string& x, const std::string& y) { return numbers ? *number(x) < *number(y) : x < y; });
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    return labels;
  }

  const Args& a_;
  const std::string& path_;
  const CsvTable& t_;
  bool allow_nan_;
};

// Column names given as a name, a column number (headerless files) or a list of them.
std::vector<std::string> names(const Args& a, const std::string& key) {
  auto name = [&](const Value& v) { return v.is_int() ? std::to_string(v.as_int()) : v.as_string(); };
  Value v = a.get<Value>(key);
  if (!v.is_array()) return {name(v)};
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) out.push_back(name(e));
  return out;
}

Param column_names(std::string name, std::optional<Value> default_value, std::string doc) {
  Param p = param::any(std::move(name), std::move(default_value), std::move(doc));
  p.type = Type::String | Type::Int | Type::List;
  if (p.default_value) p.type = p.type | Type::Null;
  p.element_type = Type::String | Type::Int;
  return p;
}

// One column name, or a column number in a headerless file.
Param id_column() {
  Param p = param::any("id", Value(),
                       "column whose cells, exactly as written, are the samples' ids (strings); default: the row index");
  p.type = Type::String | Type::Int | Type::Null;
  return p;
}

std::shared_ptr<Dataset> build(const Args& a) {
  const auto path = a.get<std::string>("path");
  if (!std::filesystem::is_regular_file(path)) a.fail("path", "no such file '" + path + "'");
  const auto delimiter = a.get<std::string>("delimiter");
  if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r")
    a.fail("delimiter", "expected one character other than a quote or a line break, got '" + delimiter + "'");
  CsvTable table;
  try {
    table = read_csv(path, delimiter[0], a.get<bool>("header"));
  } catch (const std::runtime_error& e) {
    a.fail("path", e.what());
  }
  if (table.rows.empty()) a.fail("path", path + " has no data rows");
  Columns columns(a, path, table, a.get<bool>("allow_nan"));

  const auto target_names = names(a, "target");
  std::vector<size_t> targets, features;
  for (const auto& name : target_names) targets.push_back(columns.index("target", name));
  auto is_target = [&](size_t c) { return std::find(targets.begin(), targets.end(), c) != targets.end(); };
  const bool has_id = a.has("id");
  const size_t id = has_id ? columns.index("id", names(a, "id").front()) : table.columns.size();  // size(): none
  if (a.has("features")) {
    for (const auto& name : names(a, "features")) {
      features.push_back(columns.index("features", name));
      if (is_target(features.back())) a.fail("features", "column '" + name + "' is also the target");
      if (has_id && features.back() == id)
        a.fail("features",
               "column '" + name + "' is the id column (`id`); leave it out of `features`, or pick another `id`");
    }
  } else {
    std::vector<std::string> skipped;
    for (size_t c = 0; c < table.columns.size(); ++c) {
      if (is_target(c) || (has_id && c == id)) continue;
      if (columns.numeric(c)) features.push_back(c);
      else skipped.push_back(table.columns[c]);
    }
    if (!skipped.empty()) log::info("CSV " + path + ": skipping non-numeric columns " + quoted_list(skipped));
    if (features.empty())
      a.fail("features", path + " has no numeric columns besides the target" + (has_id ? " and the id column" : ""));
  }

  torch::Tensor target;
  const bool classification = a.get<std::string>("task") == "classification";
  if (!classification && a.has("classes")) a.fail("classes", "only classification has classes");
  if (classification) {
    if (targets.size() != 1)
      a.fail("target", "classification takes one target column, got " + quoted_list(target_names));
    const auto classes = a.get_optional<std::vector<std::string>>("classes");
    target = columns.classes(targets[0], classes.value_or(std::vector<std::string>{}));
  } else {
    target = columns.floats("target", targets, "fix the cell");
    if (!a.get<Value>("target").is_array()) target = target.squeeze(1);
  }
  const std::string fix = a.has("features")
                              ? "fix the cell, or leave the column out of `features`"
                              : "the column counts as a feature because other cells in it are numbers; fix the cell, or "
                                "list the feature columns in `features`";
  return std::make_shared<CsvDataset>(columns.floats(a.has("features") ? "features" : "path", features, fix), target,
                                      has_id ? columns.cells(id) : std::vector<std::string>{});
}
}  // namespace

void register_csv(Registrar& r) {
  using namespace lighter::param;
  Param classes = list("classes", Type::String, Value(), "class labels in index order (default: sorted unique labels)");
  classes.type = classes.type | Type::Null;
  r.add<Dataset>("lighter.datasets.CSV", "a CSV table in memory: feature columns as input, target column(s) as target",
                 {string("path", std::nullopt, "the CSV file (RFC 4180)"),
                  column_names("target", std::nullopt, "target column name, or a list of names (regression)"),
                  column_names("features", Value(), "feature columns (default: every other numeric column)"),
                  id_column(),
                  choice("task", {"classification", "regression"}, "classification",
                         "classification: int64 class indices; regression: float32 values"),
                  classes, string("delimiter", ",", "field separator (one character)"),
                  boolean("header", true, "the first row names the columns (else they are named 0, 1, ...)"),
                  boolean("allow_nan", false,
                          "read empty cells as NaN and accept nan/inf in feature and regression target columns "
                          "(default: an error)")},
                 build);
}

}  // namespace lighter::data
