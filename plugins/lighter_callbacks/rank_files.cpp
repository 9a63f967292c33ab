#include "rank_files.hpp"
#include "lighter/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace lighter::callbacks {

fs::path rank_temp_path(const fs::path& path, int64_t rank) {
  return path.parent_path() /
         (path.stem().string() + ".tmp_rank" + std::to_string(rank) + path.extension().string());
}

BufferedFile::~BufferedFile() {
  if (fd_ >= 0) ::close(fd_);
}

void BufferedFile::fail(const std::string& what) const {
  throw std::runtime_error(owner_ + ": cannot " + what + " " + path_.string() + ": " + std::strerror(errno));
}

void BufferedFile::open(const fs::path& file) {
  if (fd_ >= 0) discard();
  path_ = file;
  buffer_.clear();
  buffer_.reserve(2 * kFlushBytes);
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("create");
}

void BufferedFile::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

void BufferedFile::close() {
  if (fd_ < 0) return;
  flush();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close");
}

void BufferedFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  if (!path_.empty()) {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
}

namespace {
// Appends `file` to `out`; every rank file starts with `header`, which is kept only when asked.
void append_rank_file(BufferedFile& out, const fs::path& file, int64_t rank, const std::string& header,
                      bool keep_header, const std::string& owner) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(owner + ": the file of rank " + std::to_string(rank) + " (" + file.string() + ") is missing");
  std::string head(header.size(), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (static_cast<size_t>(in.gcount()) != header.size() || head != header)
    throw std::runtime_error(owner + ": the file of rank " + std::to_string(rank) + " (" + file.string() +
                             ") does not start with the expected header");
  std::string& buffer = out.buffer();
  if (keep_header) buffer += head;
  constexpr size_t kChunk = size_t{1} << 20;
  while (in) {
    const size_t used = buffer.size();
    buffer.resize(used + kChunk);
    in.read(buffer.data() + used, static_cast<std::streamsize>(kChunk));
    buffer.resize(used + static_cast<size_t>(in.gcount()));
    out.maybe_flush();
  }
  if (in.bad()) throw std::runtime_error(owner + ": cannot read " + file.string());
}

// Joins the rank files into `path` through `<path>.tmp<pid>`, which never outlives a failure.
void merge(const fs::path& path, int64_t world_size, const std::string& header, const std::string& owner) {
  auto rename = [&](const fs::path& from) {
    std::error_code error;
    fs::rename(from, path, error);
    if (error) throw std::runtime_error(owner + ": cannot rename " + from.string() + " to " + path.string() + ": " + error.message());
  };
  if (world_size == 1) {  // one process: its file already is the result
    const fs::path only = rank_temp_path(path, 0);
    if (!fs::exists(only)) throw std::runtime_error(owner + ": the file of rank 0 (" + only.string() + ") is missing");
    return rename(only);
  }
  const fs::path temp = temp_path_for(path);
  BufferedFile out(owner);
  out.open(temp);
  try {
    for (int64_t rank = 0; rank < world_size; ++rank)
      append_rank_file(out, rank_temp_path(path, rank), rank, header, rank == 0, owner);
    out.close();
    rename(temp);
  } catch (...) {
    out.discard();
    throw;
  }
}
}  // namespace

void merge_rank_files(const fs::path& path, int64_t world_size, const std::string& header, const std::string& owner) {
  auto remove_rank_files = [&] {
    std::error_code ignored;
    for (int64_t rank = 0; rank < world_size; ++rank) fs::remove(rank_temp_path(path, rank), ignored);
  };
  try {
    merge(path, world_size, header, owner);
  } catch (...) {
    remove_rank_files();
    throw;
  }
  remove_rank_files();
}

}  // namespace lighter::callbacks
