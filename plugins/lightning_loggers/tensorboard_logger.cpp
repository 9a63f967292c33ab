// pytorch_lightning.loggers.TensorBoardLogger: scalars in an `events.out.tfevents.<time>.<host>`
// file that `tensorboard --logdir` reads, one Event per log_metrics call, written as it comes.
#include <lighter/sdk.hpp>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "event_file.hpp"
#include "registrations.hpp"

namespace fs = std::filesystem;

namespace lighter::lightning {

namespace {
double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

class TensorBoardLogger : public Logger {
 public:
  TensorBoardLogger(LogLocation location, std::string prefix) : location_(std::move(location)), prefix_(std::move(prefix)) {}

  void set_run_dir(const fs::path& run_dir) override { dir_ = resolve_log_dir(location_, run_dir); }

  void log_metrics(const std::map<std::string, double>& metrics, int64_t step, std::optional<int64_t> epoch) override {
    if (dir_.empty()) return;
    std::vector<std::pair<std::string, double>> scalars;
    for (const auto& [key, value] : metrics)
      if (key != "epoch") scalars.emplace_back(prefix_.empty() ? key : prefix_ + "-" + key, value);
    // Lightning hands its loggers the epoch as a metric, so TensorBoard shows an `epoch` chart.
    if (epoch) scalars.emplace_back("epoch", static_cast<double>(*epoch));
    else if (auto it = metrics.find("epoch"); it != metrics.end()) scalars.emplace_back("epoch", it->second);
    if (scalars.empty()) return;
    writer().write(scalars_event(wall_time(), step, scalars));
  }

 private:
  EventFileWriter& writer() {
    if (!writer_) {
      std::error_code error;
      fs::create_directories(dir_, error);
      if (error) throw std::runtime_error("TensorBoardLogger: cannot create the folder " + dir_.string() + ": " + error.message());
      const double now = wall_time();
      const std::string base = "events.out.tfevents." + std::to_string(static_cast<int64_t>(now)) + "." + hostname();
      fs::path file = dir_ / base;
      for (int n = 1; fs::exists(file); ++n) file = dir_ / (base + "." + std::to_string(n));  // two loggers, one second
      writer_ = std::make_unique<EventFileWriter>(file, now);
    }
    return *writer_;
  }

  LogLocation location_;
  std::string prefix_;
  fs::path dir_;
  std::unique_ptr<EventFileWriter> writer_;
};
}  // namespace

void register_tensorboard_logger(Registrar& r) {
  auto params = location_params();
  params.push_back(param::string("prefix", "", "prepended to every tag as '<prefix>-<tag>'"));
  r.add<Logger>("pytorch_lightning.loggers.TensorBoardLogger", "writes TensorBoard event files (scalars)", std::move(params),
                [](const Args& a) { return std::make_shared<TensorBoardLogger>(location_from(a), a.get<std::string>("prefix")); });
}

}  // namespace lighter::lightning
