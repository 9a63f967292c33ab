#pragma once
// `<root>/lighter_logs/version_<N>`: N is the next free number; creation is race-free.
// Files in it are written with lighter::write_file_atomic (lighter/atomic_file.hpp).
#include <lighter/atomic_file.hpp>

#include <filesystem>

namespace lighter::host {

// Also removes the temp files that killed runs left in earlier run directories and their
// checkpoints/ folders (only those of processes that no longer exist).
std::filesystem::path create_run_dir(const std::filesystem::path& root);

}  // namespace lighter::host
