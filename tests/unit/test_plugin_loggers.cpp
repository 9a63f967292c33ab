// Lightning's loggers: CSVLogger's metrics.csv (header, merged rows, widening rewrites, exact
// values) and TensorBoardLogger's event files, read back with a decoder written here from the
// TFRecord and protobuf specifications (not the plugin's encoder).
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <fstream>

#include "support/fake_trainer.hpp"

using lighter::Logger;
using lighter::ParamError;
using lighter::Value;
using lighter::test::file_names;
using lighter::test::read_text;
using lighter::test::TempDir;
using Metrics = std::map<std::string, double>;

namespace {
std::shared_ptr<Logger> make(const std::string& name, Value::Table values = {}) {
  return lighter::test::plugin(LIGHTER_PLUGIN_LIGHTNING_LOGGERS).make<Logger>(name, std::move(values));
}
std::shared_ptr<Logger> csv_logger(const std::filesystem::path& run_dir, Value::Table values = {}) {
  auto logger = make("pytorch_lightning.loggers.CSVLogger", std::move(values));
  logger->set_run_dir(run_dir);
  return logger;
}

// --- An independent TFRecord / Event reader -------------------------------------------------

uint32_t crc32c_bitwise(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}
uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

uint64_t little_endian(const std::string& bytes, size_t at, int n) {
  uint64_t value = 0;
  for (int i = n - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes.at(at + i));
  return value;
}

struct Field {
  uint32_t number = 0, wire = 0;
  uint64_t integer = 0;  // varint, fixed64 and fixed32 payloads
  std::string bytes;     // length-delimited payloads
};

std::vector<Field> fields_of(const std::string& message) {
  std::vector<Field> fields;
  size_t at = 0;
  auto varint = [&] {
    uint64_t value = 0;
    for (int shift = 0;; shift += 7) {
      const auto byte = static_cast<unsigned char>(message.at(at++));
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return value;
    }
  };
  while (at < message.size()) {
    const uint64_t key = varint();
    Field f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<uint32_t>(key & 7);
    if (f.wire == 0) {
      f.integer = varint();
    } else if (f.wire == 1 || f.wire == 5) {
      const int width = f.wire == 1 ? 8 : 4;
      f.integer = little_endian(message, at, width);
      at += width;
    } else if (f.wire == 2) {
      const size_t n = varint();
      f.bytes = message.substr(at, n);
      REQUIRE(f.bytes.size() == n);
      at += n;
    } else {
      FAIL("unexpected wire type " << f.wire);
    }
    fields.push_back(f);
  }
  return fields;
}

struct Event {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  std::vector<std::pair<std::string, float>> values;
};

template <class T, class U>
T bit_cast(U bits) {
  T value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// Every record's CRCs are checked; throws std::runtime_error on a bad one.
std::vector<Event> read_events(const std::filesystem::path& file) {
  const std::string bytes = read_text(file);
  std::vector<Event> events;
  size_t at = 0;
  while (at < bytes.size()) {
    REQUIRE(at + 12 <= bytes.size());
    const uint64_t length = little_endian(bytes, at, 8);
    if (masked(crc32c_bitwise(bytes.substr(at, 8))) != little_endian(bytes, at + 8, 4))
      throw std::runtime_error("bad length crc");
    const std::string data = bytes.substr(at + 12, length);
    REQUIRE(data.size() == length);
    if (masked(crc32c_bitwise(data)) != little_endian(bytes, at + 12 + length, 4)) throw std::runtime_error("bad data crc");
    at += 12 + length + 4;
    Event event;
    for (const auto& f : fields_of(data)) {
      if (f.number == 1 && f.wire == 1) event.wall_time = bit_cast<double>(f.integer);
      if (f.number == 2 && f.wire == 0) event.step = static_cast<int64_t>(f.integer);
      if (f.number == 3 && f.wire == 2) event.file_version = f.bytes;
      if (f.number == 5 && f.wire == 2)
        for (const auto& value : fields_of(f.bytes)) {
          REQUIRE((value.number == 1 && value.wire == 2));
          std::string tag;
          float simple = std::nanf("");
          for (const auto& part : fields_of(value.bytes)) {
            if (part.number == 1 && part.wire == 2) tag = part.bytes;
            if (part.number == 2 && part.wire == 5) simple = bit_cast<float>(static_cast<uint32_t>(part.integer));
          }
          event.values.emplace_back(tag, simple);
        }
    }
    events.push_back(event);
  }
  return events;
}

std::filesystem::path only_event_file(const std::filesystem::path& dir) {
  const auto names = file_names(dir);
  REQUIRE(names.size() == 1);
  REQUIRE(names[0].rfind("events.out.tfevents.", 0) == 0);
  return dir / names[0];
}
}  // namespace

TEST_CASE("CSVLogger writes epoch, step and sorted metric columns", "[loggers][csv]") {
  TempDir dir("lighter-csv");
  auto logger = csv_logger(dir.path());
  logger->log_metrics({{"train/loss/step", 0.5}, {"lr", 0.01}}, 0, 0);
  logger->log_metrics({{"train/loss/step", 0.25}, {"lr", 0.01}}, 1, 0);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "metrics.csv"));  // not before a flush
  logger->flush();
  CHECK(read_text(dir.path() / "metrics.csv") == "epoch,step,lr,train/loss/step\n0,0,0.01,0.5\n0,1,0.01,0.25\n");
  logger->log_metrics({{"train/loss/step", 0.125}, {"lr", 0.001}}, 2, std::nullopt);
  logger->finalize("success");
  CHECK(read_text(dir.path() / "metrics.csv") ==
        "epoch,step,lr,train/loss/step\n0,0,0.01,0.5\n0,1,0.01,0.25\n,2,0.001,0.125\n");
  CHECK(file_names(dir.path()) == std::vector<std::string>{"metrics.csv"});  // no temp file left
}

TEST_CASE("CSVLogger merges values logged at the same step into one row", "[loggers][csv]") {
  TempDir dir("lighter-csv");
  auto logger = csv_logger(dir.path());
  logger->log_metrics({{"a", 1.0}}, 9, 0);
  logger->log_metrics({{"b", 2.0}}, 9, 0);
  logger->flush();
  CHECK(read_text(dir.path() / "metrics.csv") == "epoch,step,a,b\n0,9,1.0,2.0\n");
  // A value for a step already on disk joins its row (the file is rewritten).
  logger->log_metrics({{"c", 3.0}}, 9, std::nullopt);
  logger->flush();
  CHECK(read_text(dir.path() / "metrics.csv") == "epoch,step,a,b,c\n0,9,1.0,2.0,3.0\n");
  // The same key again at the same step is a new row, not an overwrite.
  logger->log_metrics({{"a", 4.0}}, 9, 0);
  logger->log_metrics({{"a", 5.0}}, 10, 1);
  logger->flush();
  CHECK(read_text(dir.path() / "metrics.csv") == "epoch,step,a,b,c\n0,9,1.0,2.0,3.0\n0,9,4.0,,\n1,10,5.0,,\n");
}

TEST_CASE("CSVLogger rewrites the file with a wider header when a new key appears", "[loggers][csv]") {
  TempDir dir("lighter-csv");
  auto logger = csv_logger(dir.path());
  logger->log_metrics({{"train/loss", 1.0}}, 0, 0);
  logger->log_metrics({{"train/loss", 0.5}}, 1, 0);
  logger->flush();
  logger->log_metrics({{"lr-Adam", 0.1}, {"train/loss", 0.25}}, 2, 0);
  logger->log_metrics({{"val/loss", 0.75}}, 3, 0);
  logger->flush();
  CHECK(read_text(dir.path() / "metrics.csv") ==
        "epoch,step,lr-Adam,train/loss,val/loss\n0,0,,1.0,\n0,1,,0.5,\n0,2,0.1,0.25,\n0,3,,,0.75\n");
}

TEST_CASE("CSVLogger prints values exactly and quotes odd keys", "[loggers][csv]") {
  TempDir dir("lighter-csv");
  auto logger = csv_logger(dir.path());
  const double third = 1.0 / 3.0, tiny = 1e-5, big = 1e16 + 2, neg = -2.5e-300;
  logger->log_metrics({{"a", third}, {"b", tiny}, {"c", big}, {"d", neg}, {"e,\"x\"", 7.0}}, 0, 0);
  logger->flush();
  CHECK(read_text(dir.path() / "metrics.csv") ==
        "epoch,step,a,b,c,d,\"e,\"\"x\"\"\"\n0,0,0.3333333333333333,1e-05,1.0000000000000002e+16,-2.5e-300,7.0\n");
  CHECK(std::stod("0.3333333333333333") == third);
  CHECK(std::stod("1.0000000000000002e+16") == big);
}

TEST_CASE("CSVLogger flushes every flush_logs_every_n_steps steps", "[loggers][csv]") {
  TempDir dir("lighter-csv");
  auto logger = csv_logger(dir.path(), {{"flush_logs_every_n_steps", 2}});
  logger->log_metrics({{"a", 1.0}}, 0, 0);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "metrics.csv"));
  logger->log_metrics({{"a", 2.0}}, 1, 0);
  CHECK(read_text(dir.path() / "metrics.csv") == "epoch,step,a\n0,0,1.0\n0,1,2.0\n");
  CHECK_THROWS_AS(csv_logger(dir.path(), {{"flush_logs_every_n_steps", 0}}), ParamError);
}

TEST_CASE("CSVLogger with save_dir writes to <save_dir>/<name>/version_<N>", "[loggers][csv]") {
  TempDir dir("lighter-csv");
  std::filesystem::create_directories(dir.path() / "exp" / "version_0");
  std::filesystem::create_directories(dir.path() / "exp" / "version_3");
  auto write_one = [&](Value::Table values) {
    values.emplace_back("save_dir", dir.path().string());
    auto logger = csv_logger("", std::move(values));
    logger->log_metrics({{"a", 1.0}}, 0, 0);
    logger->flush();
  };
  write_one({{"name", "exp"}});
  CHECK(std::filesystem::exists(dir.path() / "exp" / "version_4" / "metrics.csv"));
  write_one({{"name", "exp"}, {"version", 7}});
  CHECK(std::filesystem::exists(dir.path() / "exp" / "version_7" / "metrics.csv"));
  write_one({{"name", "exp"}, {"version", "run_a"}});
  CHECK(std::filesystem::exists(dir.path() / "exp" / "run_a" / "metrics.csv"));
  write_one({{"name", ""}, {"version", 1}});
  CHECK(std::filesystem::exists(dir.path() / "version_1" / "metrics.csv"));
}

TEST_CASE("CSVLogger writes nothing without a run directory", "[loggers][csv]") {
  auto logger = csv_logger("");
  logger->log_metrics({{"a", 1.0}}, 0, 0);
  CHECK_NOTHROW(logger->finalize("success"));
  CHECK_FALSE(std::filesystem::exists("metrics.csv"));
}

TEST_CASE("The test's CRC-32C is the standard one", "[loggers][tensorboard]") {
  CHECK(crc32c_bitwise("123456789") == 0xE3069283u);  // the CRC catalogue's check value
}

TEST_CASE("TensorBoardLogger writes TFRecord events with scalar summaries", "[loggers][tensorboard]") {
  TempDir dir("lighter-tb");
  auto logger = make("pytorch_lightning.loggers.TensorBoardLogger");
  logger->set_run_dir(dir.path());
  const double before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  logger->log_metrics({{"train/loss/step", 0.5}, {"lr-Adam", 1e-3}}, 7, 0);
  logger->log_metrics({{"val/loss/epoch", 0.25}}, 300, std::nullopt);
  logger->log_metrics({{"train/loss/step", -1.5}}, 5000000000LL, 3);
  logger->flush();

  const auto file = only_event_file(dir.path());
  const auto events = read_events(file);
  REQUIRE(events.size() == 4);
  CHECK(events[0].file_version == "brain.Event:2");
  CHECK(events[0].wall_time >= before - 1);
  CHECK(events[0].wall_time <= before + 60);
  CHECK(events[1].step == 7);
  CHECK(events[1].wall_time >= events[0].wall_time);
  CHECK(events[1].values == std::vector<std::pair<std::string, float>>{{"lr-Adam", 1e-3f}, {"train/loss/step", 0.5f}, {"epoch", 0.0f}});
  CHECK(events[2].step == 300);
  CHECK(events[2].values == std::vector<std::pair<std::string, float>>{{"val/loss/epoch", 0.25f}});
  CHECK(events[3].step == 5000000000LL);
  CHECK(events[3].values == std::vector<std::pair<std::string, float>>{{"train/loss/step", -1.5f}, {"epoch", 3.0f}});

  // The decoder does notice corruption, so the checks above mean something.
  std::string bytes = read_text(file);
  bytes[bytes.size() - 6] ^= 0x01;
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  CHECK_THROWS_WITH(read_events(file), "bad data crc");
}

TEST_CASE("TensorBoardLogger creates no file until something is logged, and none without a run dir", "[loggers][tensorboard]") {
  TempDir dir("lighter-tb");
  auto logger = make("pytorch_lightning.loggers.TensorBoardLogger", {{"save_dir", dir.path().string()}, {"version", 2}});
  logger->set_run_dir("");
  logger->finalize("success");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "lighter_logs"));
  logger->log_metrics({{"a", 1.0}}, 1, std::nullopt);
  logger->finalize("success");
  const auto events = read_events(only_event_file(dir.path() / "lighter_logs" / "version_2"));
  REQUIRE(events.size() == 2);
  CHECK(events[1].values == std::vector<std::pair<std::string, float>>{{"a", 1.0f}});

  auto nowhere = make("pytorch_lightning.loggers.TensorBoardLogger");
  nowhere->set_run_dir("");
  CHECK_NOTHROW(nowhere->log_metrics({{"a", 1.0}}, 1, std::nullopt));
}
