// pytorch_lightning.loggers.CSVLogger: metrics.csv with `epoch`, `step` and one column per
// logged key (sorted). Rows logged at the same step merge into one row. New rows are appended
// whole: a failed append (a full disk) is truncated back to the last complete row. When a new
// key widens the header or a row already on disk gains values, the file is rewritten to a temp
// file and renamed. Rows that could not be written stay pending for the next flush.
#include <fcntl.h>
#include <lighter/sdk.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <stdexcept>

#include <lighter/python_float.hpp>
#include "registrations.hpp"
#include "whole_writes.hpp"

namespace fs = std::filesystem;

namespace lighter::lightning {

namespace {
struct Row {
  int64_t step = 0;
  std::optional<int64_t> epoch;
  std::map<std::string, double> values;
};

// Same step, no conflicting epoch and no key logged twice: one row, as Lightning users expect.
bool mergeable(const Row& into, const Row& row) {
  if (into.step != row.step || (into.epoch && row.epoch && *into.epoch != *row.epoch)) return false;
  for (const auto& [key, value] : row.values)
    if (into.values.count(key)) return false;
  return true;
}

void merge(Row& into, const Row& row) {
  if (!into.epoch) into.epoch = row.epoch;
  into.values.insert(row.values.begin(), row.values.end());
}

// RFC 4180: quote fields holding a separator, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::vector<std::string> split_line(const std::string& line) {  // data lines hold numbers only
  std::vector<std::string> fields(1);
  for (char c : line) {
    if (c == ',') fields.emplace_back();
    else fields.back() += c;
  }
  return fields;
}

class CsvLogger : public Logger {
 public:
  CsvLogger(LogLocation location, int64_t flush_every, std::string prefix)
      : location_(std::move(location)), flush_every_(flush_every), prefix_(std::move(prefix)) {}

  void set_run_dir(const fs::path& run_dir) override { dir_ = resolve_log_dir(location_, run_dir); }

  void log_metrics(const std::map<std::string, double>& metrics, int64_t step, std::optional<int64_t> epoch) override {
    Row row{step, epoch, {}};
    for (const auto& [key, value] : metrics) {
      if (key == "epoch") {
        if (!row.epoch) row.epoch = static_cast<int64_t>(value);
      } else if (key != "step") {
        row.values[prefix_.empty() ? key : prefix_ + "-" + key] = value;
      }
    }
    if (!pending_.empty() && mergeable(pending_.back(), row)) {
      merge(pending_.back(), row);
    } else if (pending_.empty() && last_written_ && mergeable(*last_written_, row)) {
      pending_.push_back(*last_written_);
      merge(pending_.back(), row);
      replace_last_line_ = true;
    } else {
      pending_.push_back(std::move(row));
    }
    if ((step + 1) % flush_every_ == 0) flush();
  }

  void flush() override {
    if (pending_.empty() || dir_.empty()) return;
    std::set<std::string> keys(columns_.begin(), columns_.end());
    for (const auto& row : pending_)
      for (const auto& [key, value] : row.values) keys.insert(key);
    std::vector<std::string> columns(keys.begin(), keys.end());
    try {
      if (!file_written_ || replace_last_line_ || columns != columns_) rewrite(columns);
      else append(render_rows(columns_));
    } catch (const std::exception& e) {
      last_error_ = e.what();
      throw;
    }
    // Only now does the file hold these rows under these columns.
    columns_ = std::move(columns);
    file_written_ = true;
    last_written_ = pending_.back();
    pending_.clear();
    replace_last_line_ = false;
  }

  // A failed run still gets what can be written; a write failure then is a warning, not a
  // second error (and not even that when it repeats the failure that ended the run).
  void finalize(const std::string& status) override {
    if (status == "success") return flush();
    try {
      flush();
    } catch (const std::exception& e) {
      if (e.what() != last_error_) log::warn(e.what());
    }
  }

 private:
  fs::path file() const { return dir_ / "metrics.csv"; }

  std::string render_rows(const std::vector<std::string>& columns) const {
    std::string out;
    for (const auto& row : pending_) {
      out += (row.epoch ? std::to_string(*row.epoch) : "") + "," + std::to_string(row.step);
      for (const auto& key : columns) {
        const auto it = row.values.find(key);
        out += "," + (it == row.values.end() ? std::string() : python_float(it->second));
      }
      out += "\n";
    }
    return out;
  }

  // Lines already on disk are re-laid under the wider header; the rename makes the switch atomic.
  void rewrite(const std::vector<std::string>& columns) {
    std::error_code error;
    fs::create_directories(dir_, error);
    if (error) throw std::runtime_error("CSVLogger: cannot create the folder " + dir_.string() + ": " + error.message());
    std::vector<std::string> old_lines;
    if (file_written_) {
      std::ifstream in(file());
      if (!in) throw std::runtime_error("CSVLogger: cannot read " + file().string() + ": " + std::strerror(errno));
      std::string line;
      std::getline(in, line);  // the old header
      while (std::getline(in, line)) old_lines.push_back(line);
      if (replace_last_line_ && !old_lines.empty()) old_lines.pop_back();
    }
    std::map<std::string, size_t> new_index;
    for (size_t i = 0; i < columns.size(); ++i) new_index[columns[i]] = i;
    std::string text = "epoch,step";
    for (const auto& key : columns) text += "," + csv_field(key);
    text += "\n";
    for (const auto& line : old_lines) {
      const auto fields = split_line(line);
      std::vector<std::string> cells(columns.size());
      for (size_t i = 0; i < columns_.size() && i + 2 < fields.size(); ++i) cells[new_index.at(columns_[i])] = fields[i + 2];
      text += fields[0] + "," + (fields.size() > 1 ? fields[1] : "");
      for (const auto& cell : cells) text += "," + cell;
      text += "\n";
    }
    text += render_rows(columns);
    replace_whole(file(), text, "CSVLogger");
  }

  void append(const std::string& text) {
    const int fd = ::open(file().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("CSVLogger: cannot open " + file().string() + ": " + std::strerror(errno));
    try {
      append_whole(fd, text, file(), "CSVLogger");
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0) throw std::runtime_error("CSVLogger: cannot write " + file().string() + ": " + std::strerror(errno));
  }

  LogLocation location_;
  int64_t flush_every_;
  std::string prefix_;
  fs::path dir_;
  std::vector<std::string> columns_;  // the metric columns of the file on disk, sorted
  std::vector<Row> pending_;
  std::optional<Row> last_written_;  // kept so a later value at its step can merge into it
  bool file_written_ = false, replace_last_line_ = false;
  std::string last_error_;  // the message of the last failed flush
};
}  // namespace

void register_csv_logger(Registrar& r) {
  auto params = location_params();
  params.push_back(param::integer("flush_logs_every_n_steps", 100, "write metrics.csv every N steps (and at every flush)"));
  params.push_back(param::string("prefix", "", "prepended to every key as '<prefix>-<key>'"));
  r.add<Logger>("pytorch_lightning.loggers.CSVLogger", "writes metrics.csv: epoch, step and one column per logged key",
                std::move(params), [](const Args& a) {
                  const int64_t every = a.get<int64_t>("flush_logs_every_n_steps");
                  if (every < 1) a.fail("flush_logs_every_n_steps", "must be >= 1, got " + std::to_string(every));
                  return std::make_shared<CsvLogger>(location_from(a), every, a.get<std::string>("prefix"));
                });
}

}  // namespace lighter::lightning
