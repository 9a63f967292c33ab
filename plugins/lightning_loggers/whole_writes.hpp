#pragma once
// Writes that never leave a torn record or a stray temp file behind, even on a full disk.
// Errors are std::runtime_error "<owner>: cannot write <file>: <reason>" with the system's
// reason ("No space left on device").
#include <filesystem>
#include <string>

namespace lighter::lightning {

// Appends `data` to the file open as `fd` (O_APPEND) as one piece: when a write fails, the file
// is truncated back to its size before the call.
void append_whole(int fd, const std::string& data, const std::filesystem::path& file, const std::string& owner);

// Replaces `file` with `data` through `<file>.tmp` and a rename; the temp file is removed on
// every failure.
void replace_whole(const std::filesystem::path& file, const std::string& data, const std::string& owner);

}  // namespace lighter::lightning
