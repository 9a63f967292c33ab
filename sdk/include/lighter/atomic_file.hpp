#pragma once
// Files that appear whole or not at all: written to `<file>.tmp<pid>` next to the target, synced,
// then renamed over it. Every failure removes the temp file and names the cause from errno
// ("cannot write runs/last.ckpt: No space left on device"). A process killed mid-write leaves
// its temp file behind; remove_stale_temps() clears those of processes that no longer exist.
#include <cstddef>
#include <filesystem>
#include <string_view>

namespace lighter {

// `<file>.tmp<pid of this process>`.
std::filesystem::path temp_path_for(const std::filesystem::path& file);

// Writes `bytes` to `file` atomically; throws std::runtime_error naming the file and the cause.
void write_file_atomic(const std::filesystem::path& file, std::string_view bytes);
// Copies `from` to `to` atomically (a reader of `to` sees the old file or the whole new one).
void copy_file_atomic(const std::filesystem::path& from, const std::filesystem::path& to);

// Removes the `*.tmp<pid>` files in `dir` whose process is gone; files of live processes (and a
// missing `dir`) are left alone. Returns how many were removed.
size_t remove_stale_temps(const std::filesystem::path& dir);

}  // namespace lighter
