#include "event_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "whole_writes.hpp"

namespace lighter::lightning {

namespace {
std::array<uint32_t, 256> crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0u);
    table[i] = crc;
  }
  return table;
}

// Protocol buffer wire format: a key is (field << 3 | wire type); integers are base-128 varints.
enum Wire : uint32_t { Varint = 0, Fixed64 = 1, Delimited = 2, Fixed32 = 5 };

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}
void put_key(std::string& out, uint32_t field, Wire wire) { put_varint(out, (field << 3) | wire); }
void put_little_endian(std::string& out, uint64_t bits, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xFF);
}
void put_double(std::string& out, uint32_t field, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, Fixed64);
  put_little_endian(out, bits, 8);
}
void put_float(std::string& out, uint32_t field, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, Fixed32);
  put_little_endian(out, bits, 4);
}
void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, Delimited);
  put_varint(out, bytes.size());
  out += bytes;
}

// Field numbers from tensorflow/core/util/event.proto and framework/summary.proto.
constexpr uint32_t kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5;
constexpr uint32_t kSummaryValue = 1, kValueTag = 1, kValueSimpleValue = 2;
}  // namespace

uint32_t crc32c(const std::string& data) {
  static const auto table = crc_table();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const std::string& data) {
  const uint32_t crc = crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

std::string version_event(double wall_time) {
  std::string event;
  put_double(event, kEventWallTime, wall_time);
  put_bytes(event, kEventFileVersion, "brain.Event:2");
  return event;
}

std::string scalars_event(double wall_time, int64_t step, const std::vector<std::pair<std::string, double>>& scalars) {
  std::string summary;
  for (const auto& [tag, value] : scalars) {
    std::string entry;
    put_bytes(entry, kValueTag, tag);
    put_float(entry, kValueSimpleValue, static_cast<float>(value));
    put_bytes(summary, kSummaryValue, entry);
  }
  std::string event;
  put_double(event, kEventWallTime, wall_time);
  put_key(event, kEventStep, Varint);
  put_varint(event, static_cast<uint64_t>(step));  // int64: negatives take ten bytes, as protobuf does
  put_bytes(event, kEventSummary, summary);
  return event;
}

EventFileWriter::EventFileWriter(const std::filesystem::path& file, double wall_time) : path_(file) {
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("TensorBoardLogger: cannot create " + file.string() + ": " + std::strerror(errno));
  try {
    write(version_event(wall_time));
  } catch (...) {
    ::close(fd_);
    ::unlink(file.c_str());
    throw;
  }
}

EventFileWriter::~EventFileWriter() { ::close(fd_); }

void EventFileWriter::write(const std::string& event) {
  std::string length;
  put_little_endian(length, event.size(), 8);
  std::string record = length;
  put_little_endian(record, masked_crc32c(length), 4);
  record += event;
  put_little_endian(record, masked_crc32c(event), 4);
  append_whole(fd_, record, path_, "TensorBoardLogger");
}

}  // namespace lighter::lightning
