#pragma once
// The zip container of a torch checkpoint, checked before unpickling: libtorch's reader skips
// the CRC-32 check (flipped bytes in a tensor would load silently) and trusts the offsets.
#include <filesystem>
#include <string_view>

namespace lighter::host {

// Checks the end record, the central directory against each local header, that every record
// lies inside the file, and every record's CRC-32. Throws CheckpointError naming the file and
// the damaged record.
void check_zip_archive(std::string_view bytes, const std::filesystem::path& file);

}  // namespace lighter::host
