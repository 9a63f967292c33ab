#pragma once
// `<root>/lighter_logs/version_<N>`: N is the next free number; creation is race-free.
#include <filesystem>
#include <string>

namespace lighter::host {

std::filesystem::path create_run_dir(const std::filesystem::path& root);
// Writes `text` to `file` through a temporary file and a rename: readers never see half a file.
void write_file_atomic(const std::filesystem::path& file, const std::string& text);

}  // namespace lighter::host
