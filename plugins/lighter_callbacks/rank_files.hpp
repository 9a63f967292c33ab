#pragma once
// Per-rank temp files for writers that run on every rank and leave one file behind: each rank
// writes `<stem>.tmp_rank<R><suffix>` next to the final path, and rank 0 joins them in rank
// order into the final file, which only ever appears by rename of a complete file.
#include <cstdint>
#include <filesystem>
#include <string>

namespace lighter::callbacks {

// `preds.csv`, rank 1 -> `preds.tmp_rank1.csv` (Python's `path.with_suffix(".tmp_rank1.csv")`).
std::filesystem::path rank_temp_path(const std::filesystem::path& path, int64_t rank);

// A file written through a large buffer with write(2). Errors are std::runtime_error whose
// message starts with `owner + ": "`.
class BufferedFile {
 public:
  explicit BufferedFile(std::string owner) : owner_(std::move(owner)) {}
  ~BufferedFile();  // closes without flushing (an abandoned file is removed by its owner)
  BufferedFile(const BufferedFile&) = delete;
  BufferedFile& operator=(const BufferedFile&) = delete;

  void open(const std::filesystem::path& file);  // creates or truncates
  bool is_open() const { return fd_ >= 0; }
  const std::filesystem::path& path() const { return path_; }
  // Append to this, then call maybe_flush() once per record.
  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kFlushBytes) flush();
  }
  void flush();
  void close();    // flushes first
  void discard();  // closes without flushing and removes the file

 private:
  static constexpr size_t kFlushBytes = size_t{1} << 20;
  [[noreturn]] void fail(const std::string& what) const;

  std::string owner_;
  std::filesystem::path path_;
  std::string buffer_;
  int fd_ = -1;
};

// Rank 0's part: concatenates the rank files of ranks 0..world_size-1, in rank order, into
// `path` (through `<path>.tmp` and a rename), keeping `header` from rank 0's file only (every
// file must start with it), then deletes the rank files. A missing rank file, or any other
// failure, is an error, and then neither the final file, nor the temp, nor any rank file exists.
void merge_rank_files(const std::filesystem::path& path, int64_t world_size, const std::string& header,
                      const std::string& owner);

}  // namespace lighter::callbacks
