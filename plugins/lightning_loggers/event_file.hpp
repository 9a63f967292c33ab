#pragma once
// TensorFlow event files, the format TensorBoard reads: TFRecord framing around hand-encoded
// `Event` protocol buffers carrying `simple_value` scalar summaries.
#include <cstdint>
#include <filesystem>
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

// Each record goes to the file with write(2) as it comes, whole: a failed write (a full disk)
// truncates the file back to its last complete record.
class EventFileWriter {
 public:
  // Creates the file and writes the file_version record first, as TensorFlow does; when that
  // fails, no file is left.
  EventFileWriter(const std::filesystem::path& file, double wall_time);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  void write(const std::string& event);  // one TFRecord

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace lighter::lightning
