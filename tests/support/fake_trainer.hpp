#pragma once
// A scriptable lighter::Trainer for callback unit tests: a test sets what the hooks see (stage,
// epoch, step, callback metrics, run directory, optimizer) and reads back what the callbacks
// did (logged values, stop requests, checkpoints). save_checkpoint writes a small marker file
// naming the epoch and step it was written at, so tests can tell which files exist and which
// save each one came from.
#include <lighter/sdk.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace lighter::test {

class FakeModel : public Model {
 public:
  torch::nn::Module& module() override { return module_; }

 private:
  torch::nn::Module module_;
};

struct LoggedValue {
  std::string key;
  double value;
  LogOptions options;
  int64_t step;  // the trainer's global step when it was logged
};

class FakeTrainer : public Trainer {
 public:
  // What the hooks see.
  std::string stage_name = "fit";
  bool in_training = true;
  bool sanity = false;
  bool dev_run = false;
  int64_t epoch = 0;
  int64_t step = 0;
  int64_t epochs = 100;
  std::filesystem::path run_dir;
  std::map<std::string, double> metrics;
  torch::optim::Optimizer* optim = nullptr;
  std::string optim_name = "Adam";
  int64_t rank = 0, ranks = 1;  // what global_rank() and world_size() say

  // What the callbacks did.
  std::vector<LoggedValue> logged;
  std::vector<std::filesystem::path> saved;  // save_checkpoint calls, in order
  int stop_requests = 0;
  int barriers = 0;  // barrier() calls

  // The content save_checkpoint writes at this epoch and step.
  static std::string marker(int64_t epoch, int64_t step, bool weights_only = false) {
    return "epoch=" + std::to_string(epoch) + " step=" + std::to_string(step) + (weights_only ? " weights_only" : "");
  }

  const std::string& stage() const override { return stage_name; }
  bool training() const override { return in_training; }
  bool sanity_checking() const override { return sanity; }
  int64_t current_epoch() const override { return epoch; }
  int64_t global_step() const override { return step; }
  int64_t max_epochs() const override { return epochs; }
  int64_t global_rank() const override { return rank; }
  int64_t world_size() const override { return ranks; }
  void barrier() override { ++barriers; }
  std::filesystem::path log_dir() const override { return run_dir; }
  const std::map<std::string, double>& callback_metrics() const override { return metrics; }
  void log(const std::string& key, double value, const LogOptions& options) override {
    logged.push_back({key, value, options, step});
    metrics[key] = value;
  }
  void request_stop() override { ++stop_requests; }
  bool should_stop() const override { return stop_requests > 0; }
  torch::optim::Optimizer* optimizer() override { return optim; }
  std::string optimizer_name() const override { return optim_name; }
  int64_t estimated_stepping_batches() const override { return epochs; }
  void save_checkpoint(const std::filesystem::path& file, bool weights_only) override {
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::trunc) << marker(epoch, step, weights_only);
    saved.push_back(file);
  }
  bool fast_dev_run() const override { return dev_run; }
};

// The whole content of a small file ("" when it does not exist).
inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The names of the regular files in `dir`, sorted.
inline std::vector<std::string> file_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  if (!std::filesystem::exists(dir)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A fresh, empty directory under the system temp folder, removed when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace lighter::test
