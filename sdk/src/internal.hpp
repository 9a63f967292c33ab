#pragma once
// Host-only entry points into the SDK library; not installed, not for plugins.
#include "lighter/writer.hpp"

namespace lighter::internal {
// Adds a writer function; throws std::invalid_argument naming the clash on a duplicate name.
void register_writer(WriterFunction writer, std::string source);
void clear_writers();
}  // namespace lighter::internal
