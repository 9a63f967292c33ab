#pragma once
// RFC 4180 CSV: fields separated by one delimiter character, records by CRLF or LF; quoted fields
// may hold delimiters, line breaks and doubled quotes ("say ""hi"""). Blank lines are skipped.
#include <cstdint>
#include <string>
#include <vector>

namespace lighter::data {

struct CsvTable {
  std::vector<std::string> columns;            // the header, or "0", "1", ... without one
  std::vector<std::vector<std::string>> rows;  // each as long as `columns`
  std::vector<int64_t> lines;                  // the file line (from 1) each row starts on
};

// Throws std::runtime_error "PATH:LINE: problem" for unreadable files, ragged rows and
// unterminated quotes.
CsvTable read_csv(const std::string& path, char delimiter, bool header);

}  // namespace lighter::data
