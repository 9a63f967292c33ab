#include "csv_reader.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lighter::data {

namespace {
class Parser {
 public:
  Parser(const std::string& path, std::string text, char delimiter)
      : path_(path), text_(std::move(text)), delimiter_(delimiter) {
    if (text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;  // a UTF-8 byte order mark
  }

  // The next record's fields, or false at the end of the text.
  bool next(std::vector<std::string>& fields, int64_t& line) {
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) end_of_line();
    if (pos_ >= text_.size()) return false;
    line = line_;
    fields.clear();
    for (;;) {
      fields.push_back(field());
      if (pos_ < text_.size() && text_[pos_] == delimiter_) {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size()) end_of_line();
      return true;
    }
  }

  [[noreturn]] void fail(int64_t line, const std::string& message) const {
    throw std::runtime_error(path_ + ":" + std::to_string(line) + ": " + message);
  }

 private:
  std::string field() {
    std::string out;
    if (pos_ >= text_.size() || text_[pos_] != '"') {
      while (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n' && text_[pos_] != '\r')
        out += text_[pos_++];
      return out;
    }
    const int64_t opened = line_;
    for (++pos_;; ++pos_) {
      if (pos_ >= text_.size()) fail(opened, "the quoted field opened on this line is never closed");
      const char c = text_[pos_];
      if (c == '"' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
        out += '"';
        ++pos_;
      } else if (c == '"') {
        ++pos_;
        break;
      } else {
        if (c == '\n') ++line_;
        out += c;
      }
    }
    if (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n' && text_[pos_] != '\r')
      fail(line_, std::string("unexpected '") + text_[pos_] + "' after the closing quote of \"" + out + "\"");
    return out;
  }

  void end_of_line() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  const std::string& path_;
  std::string text_;
  char delimiter_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};
}  // namespace

CsvTable read_csv(const std::string& path, char delimiter, bool header) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  Parser parser(path, text.str(), delimiter);

  CsvTable table;
  std::vector<std::string> fields;
  int64_t line = 0;
  if (header && parser.next(fields, line)) table.columns = fields;
  while (parser.next(fields, line)) {
    if (table.columns.empty())
      for (size_t i = 0; i < fields.size(); ++i) table.columns.push_back(std::to_string(i));
    if (fields.size() != table.columns.size())
      parser.fail(line, "a row of " + std::to_string(fields.size()) + " fields where the " +
                            (header ? "header has " : "first row has ") + std::to_string(table.columns.size()));
    table.rows.push_back(fields);
    table.lines.push_back(line);
  }
  return table;
}

}  // namespace lighter::data
