#pragma once
// TensorFlow event files, the format TensorBoard reads: TFRecord framing around hand-encoded
// `Event` protocol buffers carrying `simple_value` scalar summaries.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace lighter::lightning {

// CRC-32C (Castagnoli), and the masked form TFRecord stores.
uint32_t crc32c(const std::string& data);
uint32_t masked_crc32c(const std::string& data);

// Serialized `Event` messages.
std::string version_event(double wall_time);  // Event{wall_time, file_version: "brain.Event:2"}
std::string scalars_event(double wall_time, int64_t step, const std::vector<std::pair<std::string, double>>& scalars);

class EventFileWriter {
 public:
  // Creates the file and writes the file_version record first, as TensorFlow does.
  EventFileWriter(const std::filesystem::path& file, double wall_time);
  void write(const std::string& event);  // one TFRecord
  void flush();

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

}  // namespace lighter::lightning
