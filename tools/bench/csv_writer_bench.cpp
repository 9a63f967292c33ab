// Rows per second of lighter.callbacks.CsvWriter: a one-process predict of ROWS samples in
// batches of BATCH, three numeric columns (int64 id, float32 pred, float64 target), through the
// built plugin loaded with dlopen as the host would. Prints the best of REPS runs.
//   csv_writer_bench [ROWS=2000000] [BATCH=1024] [REPS=5] [OUT=/tmp/csv_writer_bench.csv]
#include <dlfcn.h>
#include <lighter/sdk.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace {
using namespace lighter;

class Collect : public Registrar {
 public:
  void add(ComponentInfo info) override { components.push_back(std::move(info)); }
  void add_writer(WriterFunction) override {}
  std::vector<ComponentInfo> components;
};

class TableArgs : public Args {
 public:
  TableArgs(const std::string& target, Value::Table values) : Args(target, target), values_(std::move(values)) {}
  Value value(const std::string& key) const override {
    for (const auto& [k, v] : values_)
      if (k == key) return v;
    return {};
  }
  ObjectPtr object(const std::string&) const override { return nullptr; }
  std::vector<ObjectPtr> objects(const std::string&) const override { return {}; }

 private:
  Value::Table values_;
};

class PredictTrainer : public Trainer {
 public:
  const std::string& stage() const override { return stage_; }
  bool training() const override { return false; }
  bool sanity_checking() const override { return false; }
  int64_t current_epoch() const override { return 0; }
  int64_t global_step() const override { return 0; }
  int64_t max_epochs() const override { return 1; }
  std::filesystem::path log_dir() const override { return {}; }
  const std::map<std::string, double>& callback_metrics() const override { return metrics_; }
  void log(const std::string&, double, const LogOptions&) override {}
  void request_stop() override {}
  bool should_stop() const override { return false; }
  torch::optim::Optimizer* optimizer() override { return nullptr; }
  std::string optimizer_name() const override { return ""; }
  int64_t estimated_stepping_batches() const override { return 0; }
  void save_checkpoint(const std::filesystem::path&, bool) override {}
  bool fast_dev_run() const override { return false; }

 private:
  std::string stage_ = "predict";
  std::map<std::string, double> metrics_;
};

class NoModel : public Model {
 public:
  torch::nn::Module& module() override { return module_; }

 private:
  torch::nn::Module module_;
};

std::shared_ptr<Callback> load_writer(const std::string& plugin, const std::string& out, Collect& registry) {
  void* handle = dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed: the writer's code must stay
  if (!handle) throw std::runtime_error(dlerror());
  using Entry = const lighter_plugin_descriptor* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, LIGHTER_PLUGIN_ENTRY_SYMBOL));
  if (!entry) throw std::runtime_error(plugin + " has no " LIGHTER_PLUGIN_ENTRY_SYMBOL);
  entry()->register_components(&registry);
  for (const auto& info : registry.components)
    if (info.name == "lighter.callbacks.CsvWriter")
      return std::dynamic_pointer_cast<Callback>(
          info.factory(TableArgs(info.name, {{"path", out}, {"keys", Value::Array{"id", "pred", "target"}}})));
  throw std::runtime_error(plugin + " has no lighter.callbacks.CsvWriter");
}

double seconds_for(Callback& writer, const std::vector<Dict>& batches) {
  PredictTrainer trainer;
  NoModel model;
  const auto start = std::chrono::steady_clock::now();
  writer.on_predict_epoch_start(trainer, model);
  for (size_t i = 0; i < batches.size(); ++i) writer.on_predict_batch_end(trainer, model, batches[i], Dict{}, static_cast<int64_t>(i));
  writer.on_predict_epoch_end(trainer, model);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::stoll(argv[1]) : 2000000;
  const int64_t batch = argc > 2 ? std::stoll(argv[2]) : 1024;
  const int reps = argc > 3 ? std::stoi(argv[3]) : 5;
  const std::string out = argc > 4 ? argv[4] : "/tmp/csv_writer_bench.csv";
  Collect registry;
  auto writer = load_writer(LIGHTER_CALLBACKS_PLUGIN, out, registry);

  torch::manual_seed(0);
  std::vector<Dict> batches;
  for (int64_t first = 0; first < rows; first += batch) {
    const int64_t n = std::min(batch, rows - first);
    batches.push_back(Dict{{"id", torch::arange(first, first + n)},
                           {"pred", torch::rand({n})},
                           {"target", torch::randn({n}, torch::kDouble)}});
  }
  double best = 1e300;
  for (int rep = 0; rep < reps; ++rep) best = std::min(best, seconds_for(*writer, batches));
  const auto bytes = std::filesystem::file_size(out);
  std::printf("%lld rows in batches of %lld: best of %d %.3f s, %.2f M rows/s, %.1f MB/s (%s, %llu bytes)\n",
              static_cast<long long>(rows), static_cast<long long>(batch), reps, best, rows / best / 1e6,
              static_cast<double>(bytes) / best / 1e6, out.c_str(), static_cast<unsigned long long>(bytes));
  std::filesystem::remove(out);
}
