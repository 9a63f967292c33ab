// Writers, loggers and data sets under bad input and faults: a full disk, duplicate names,
// non-numeric cells.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/data.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

#include "support/ci.hpp"
#include "support/fake_trainer.hpp"
#include "support/full_disk.hpp"

namespace fs = std::filesystem;
using lighter::Callback;
using lighter::Dataset;
using lighter::Dict;
using lighter::Logger;
using lighter::Value;
using lighter::test::FakeModel;
using lighter::test::FakeTrainer;
using lighter::test::file_names;
using lighter::test::read_text;
using lighter::test::SmallDisk;
using lighter::test::TempDir;
using Catch::Matchers::Contains;
using Metrics = std::map<std::string, double>;
using Strings = std::vector<std::string>;

namespace {
constexpr uint64_t kDiskBytes = 1 << 20;
constexpr const char* kNoSpace = "No space left on device";

// Skips (or, under CI=true, fails) the test case when no small disk can be mounted here.
#define REQUIRE_SMALL_DISK()                                                                     \
  do {                                                                                           \
    const auto why_not = SmallDisk::unavailable();                                               \
    LIGHTER_REQUIRE_TOOL(!why_not, "a small tmpfs disk (" + why_not.value_or("") + ")");         \
  } while (false)

// Every file under `dir` whose name holds ".tmp", at any depth.
Strings temp_files(const fs::path& dir) {
  Strings found;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp") != std::string::npos) found.push_back(entry.path().string());
  return found;
}

// The regular files under `dir` other than the disk's filler, at any depth.
Strings files_under(const fs::path& dir) {
  Strings found;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().filename() != ".filler") found.push_back(entry.path().lexically_relative(dir).string());
  std::sort(found.begin(), found.end());
  return found;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

// --- loggers ----------------------------------------------------------------------------------

std::shared_ptr<Logger> logger(const std::string& name, const fs::path& run_dir, Value::Table values = {}) {
  auto made = lighter::test::plugin(LIGHTER_PLUGIN_LIGHTNING_LOGGERS).make<Logger>(name, std::move(values));
  made->set_run_dir(run_dir);
  return made;
}
std::shared_ptr<Logger> csv_logger(const fs::path& run_dir) {
  return logger("pytorch_lightning.loggers.CSVLogger", run_dir, {{"flush_logs_every_n_steps", 1000000}});
}

// Rows `epoch 0, step s, loss s + 0.5` for s in [from, to): "0,<s>,<s>.5" in metrics.csv.
void log_losses(Logger& logger, int64_t from, int64_t to) {
  for (int64_t step = from; step < to; ++step) logger.log_metrics({{"loss", static_cast<double>(step) + 0.5}}, step, 0);
}
std::string loss_rows(int64_t from, int64_t to) {
  std::string rows;
  for (int64_t step = from; step < to; ++step) rows += "0," + std::to_string(step) + "," + std::to_string(step) + ".5\n";
  return rows;
}

// The records of a TFRecord file, walked by their length fields; the file must end exactly
// after the last one.
size_t record_count(const fs::path& file) {
  const std::string bytes = read_text(file);
  size_t at = 0, count = 0;
  while (at < bytes.size()) {
    REQUIRE(at + 12 <= bytes.size());
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[at + i]);
    at += 12 + length + 4;
    REQUIRE(at <= bytes.size());
    ++count;
  }
  return count;
}

fs::path only_event_file(const fs::path& dir) {
  const Strings names = file_names(dir);
  REQUIRE(names.size() == 1);
  REQUIRE(names[0].rfind("events.out.tfevents.", 0) == 0);
  return dir / names[0];
}

// One record wider than a page, so a nearly full disk cannot take it.
Metrics wide_metrics() {
  Metrics wide;
  for (int i = 0; i < 400; ++i) wide["metric_" + std::to_string(i)] = i;
  return wide;
}

// --- callbacks --------------------------------------------------------------------------------

const lighter::test::PluginHarness& callbacks() { return lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_CALLBACKS); }

// A trainer whose barrier can run something: what happens between the ranks finishing their
// files and rank 0 joining them.
struct BarrierTrainer : FakeTrainer {
  std::function<void()> at_barrier;
  void barrier() override {
    FakeTrainer::barrier();
    if (at_barrier) at_barrier();
  }
};

// One rank's predict epoch with a callback, the way the trainer drives it.
struct Predict {
  Predict(const std::string& name, Value::Table values, int64_t rank = 0, int64_t ranks = 1)
      : callback(callbacks().make<Callback>(name, std::move(values))) {
    trainer.stage_name = "predict";
    trainer.rank = rank;
    trainer.ranks = ranks;
    callback->on_predict_epoch_start(trainer, model);
  }
  void batch(const Dict& outputs) { callback->on_predict_batch_end(trainer, model, outputs, Dict{}, batch_idx++); }
  void end() { callback->on_predict_epoch_end(trainer, model); }
  void fail(const std::exception& e) {
    callback->on_exception(trainer, model, e);
    callback->teardown(trainer, model, "predict");
  }

  BarrierTrainer trainer;
  FakeModel model;
  std::shared_ptr<Callback> callback;
  int64_t batch_idx = 0;
};

Predict csv_writer(const fs::path& path, int64_t rank = 0, int64_t ranks = 1) {
  return Predict("lighter.callbacks.CsvWriter", {{"path", path.string()}, {"keys", Value::Array{"id"}}}, rank, ranks);
}

c10::IValue strings(const Strings& items) {
  c10::List<std::string> list;
  for (const auto& item : items) list.push_back(item);
  return list;
}

// --- data sets --------------------------------------------------------------------------------

std::shared_ptr<Dataset> csv_dataset(const fs::path& file, const std::string& text, Value::Table values) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  values.emplace_back("path", file.string());
  return lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_DATA).make<Dataset>("lighter.datasets.CSV", std::move(values));
}

torch::Tensor all_of(const Dataset& ds, const std::string& key) {
  std::vector<int64_t> indices(static_cast<size_t>(ds.size()));
  for (int64_t i = 0; i < ds.size(); ++i) indices[static_cast<size_t>(i)] = i;
  torch::Generator generator;
  return ds.get_batch(indices, generator).tensor(key);
}
}  // namespace

TEST_CASE("CSVLogger keeps metrics.csv whole on a full disk and goes on once there is space", "[faults][loggers]") {
  REQUIRE_SMALL_DISK();
  SmallDisk disk(kDiskBytes);
  auto csv = csv_logger(disk.path());
  log_losses(*csv, 0, 3);
  csv->flush();
  const std::string header = "epoch,step,loss\n";
  REQUIRE(read_text(disk / "metrics.csv") == header + loss_rows(0, 3));

  disk.fill();
  log_losses(*csv, 3, 1000);  // more than the file's last page holds: the append fails part way
  CHECK_THAT(error_of([&] { csv->flush(); }), Contains((disk / "metrics.csv").string()) && Contains(kNoSpace));
  CHECK(read_text(disk / "metrics.csv") == header + loss_rows(0, 3));
  CHECK(temp_files(disk.path()).empty());

  disk.free_space();
  log_losses(*csv, 1000, 1003);
  csv->flush();  // the rows that failed are still pending
  CHECK(read_text(disk / "metrics.csv") == header + loss_rows(0, 1003));
}

TEST_CASE("CSVLogger leaves metrics.csv as it was when a wider header cannot be written", "[faults][loggers]") {
  REQUIRE_SMALL_DISK();
  SmallDisk disk(kDiskBytes);
  auto csv = csv_logger(disk.path());
  log_losses(*csv, 0, 2);
  csv->flush();
  const std::string before = read_text(disk / "metrics.csv");
  disk.fill();
  csv->log_metrics({{"accuracy", 0.75}}, 2, 0);  // a new column: the file is rewritten
  CHECK_THAT(error_of([&] { csv->flush(); }), Contains("metrics.csv") && Contains(kNoSpace));
  CHECK(read_text(disk / "metrics.csv") == before);
  CHECK(temp_files(disk.path()).empty());
  disk.free_space();
  csv->flush();
  CHECK(read_text(disk / "metrics.csv") == "epoch,step,accuracy,loss\n0,0,,0.5\n0,1,,1.5\n0,2,0.75,\n");
}

TEST_CASE("CSVLogger's first write on a full disk leaves no file, and a failed run's finalize does not throw",
          "[faults][loggers]") {
  REQUIRE_SMALL_DISK();
  SmallDisk disk(kDiskBytes);
  auto csv = csv_logger(disk.path());
  disk.fill();
  log_losses(*csv, 0, 1);
  CHECK_THAT(error_of([&] { csv->flush(); }), Contains("metrics.csv") && Contains(kNoSpace));
  CHECK(files_under(disk.path()).empty());
  CHECK_NOTHROW(csv->finalize("failed"));  // the run already fails for this very reason
  CHECK(files_under(disk.path()).empty());
  CHECK_THROWS_WITH(csv->finalize("success"), Contains(kNoSpace));
  disk.free_space();
  csv->finalize("success");
  CHECK(read_text(disk / "metrics.csv") == "epoch,step,loss\n" + loss_rows(0, 1));
}

TEST_CASE("TensorBoardLogger event files end with a whole record on a full disk", "[faults][loggers]") {
  REQUIRE_SMALL_DISK();
  SmallDisk disk(kDiskBytes);
  auto tensorboard = logger("pytorch_lightning.loggers.TensorBoardLogger", disk.path());
  tensorboard->log_metrics({{"loss", 1.0}}, 0, 0);
  const fs::path file = only_event_file(disk.path());
  REQUIRE(record_count(file) == 2);  // file_version, then the scalars
  const auto size = fs::file_size(file);

  disk.fill();
  CHECK_THAT(error_of([&] { tensorboard->log_metrics(wide_metrics(), 1, 0); }),
             Contains(file.string()) && Contains(kNoSpace));
  CHECK(fs::file_size(file) == size);
  CHECK(record_count(file) == 2);

  disk.free_space();
  tensorboard->log_metrics({{"loss", 0.5}}, 2, 0);
  CHECK(record_count(file) == 3);
}

TEST_CASE("TensorBoardLogger leaves no empty event file when the first record cannot be written", "[faults][loggers]") {
  REQUIRE_SMALL_DISK();
  SmallDisk disk(kDiskBytes);
  auto tensorboard = logger("pytorch_lightning.loggers.TensorBoardLogger", disk.path());
  disk.fill();
  CHECK_THAT(error_of([&] { tensorboard->log_metrics({{"loss", 1.0}}, 0, 0); }),
             Contains("events.out.tfevents.") && Contains(kNoSpace));
  CHECK(files_under(disk.path()).empty());
  disk.free_space();
  tensorboard->log_metrics({{"loss", 1.0}}, 0, 0);
  CHECK(record_count(only_event_file(disk.path())) == 2);
}

TEST_CASE("CsvWriter on a full disk names the cause and leaves no rank file", "[faults][csv_writer]") {
  REQUIRE_SMALL_DISK();
  SmallDisk disk(kDiskBytes);
  auto run = csv_writer(disk / "preds.csv");
  run.batch(Dict{{"id", torch::arange(100)}});
  disk.fill();
  const std::string error = error_of([&] { run.end(); });
  CHECK_THAT(error, Contains("lighter.callbacks.CsvWriter") && Contains("preds.tmp_rank0.csv") && Contains(kNoSpace));
  run.fail(std::runtime_error(error));
  CHECK(files_under(disk.path()).empty());
}

TEST_CASE("CsvWriter's merge of rank files on a full disk leaves neither temp nor rank files", "[faults][csv_writer]") {
  REQUIRE_SMALL_DISK();
  SmallDisk disk(kDiskBytes);
  const fs::path path = disk / "preds.csv";
  auto rank1 = csv_writer(path, 1, 2);
  rank1.batch(Dict{{"id", torch::arange(50)}});
  rank1.end();
  auto rank0 = csv_writer(path, 0, 2);
  rank0.batch(Dict{{"id", torch::arange(50)}});
  rank0.trainer.at_barrier = [&] { disk.fill(); };  // every rank file is complete; the joined file is not
  const std::string error = error_of([&] { rank0.end(); });
  CHECK_THAT(error, Contains("preds.csv.tmp") && Contains(kNoSpace));
  rank0.fail(std::runtime_error(error));
  CHECK(files_under(disk.path()).empty());
}

TEST_CASE("FileWriter's writer functions on a full disk name the cause and leave no temp file", "[faults][file_writer]") {
  REQUIRE_SMALL_DISK();
  const std::vector<std::pair<std::string, torch::Tensor>> cases = {
      {"tensor", torch::ones({1, 3})},
      {"image_2d", torch::rand({1, 3, 8, 8})},
      {"image_3d", torch::rand({1, 1, 2, 8, 8})},
      {"text", torch::ones({1, 3})},
      {"npy", torch::ones({1, 3})},
  };
  for (const auto& each : cases) {
    const auto& writer_fn = each.first;
    const auto& batch = each.second;  // not a structured binding: a lambda captures it (clang 14)
    CAPTURE(writer_fn);
    SmallDisk disk(kDiskBytes);
    Predict run("lighter.callbacks.FileWriter",
                {{"directory", (disk / "out").string()}, {"value_key", "pred"}, {"writer_fn", writer_fn}});
    disk.fill();
    const std::string error = error_of([&] { run.batch(Dict{{"pred", batch}}); });
    CHECK_THAT(error, Contains("writer '" + writer_fn + "'") && Contains(kNoSpace) && Contains((disk / "out" / "0").string()));
    CHECK(files_under(disk.path()).empty());
  }
}

TEST_CASE("FileWriter refuses two samples with one name unless overwrite is set", "[faults][file_writer]") {
  TempDir dir("lighter-faults-duplicates");
  const fs::path out = dir.path() / "out";
  auto writer = [&](Value::Table extra = {}) {
    Value::Table values{{"directory", out.string()}, {"value_key", "pred"}, {"writer_fn", "text"}, {"name_key", "name"}};
    for (auto& entry : extra) values.push_back(std::move(entry));
    return Predict("lighter.callbacks.FileWriter", std::move(values));
  };

  SECTION("across batches") {
    auto run = writer();
    run.batch(Dict{{"pred", torch::tensor({1, 2})}, {"name", strings({"a", "b"})}});
    const std::string error = error_of([&] { run.batch(Dict{{"pred", torch::tensor({3, 4})}, {"name", strings({"c", "a"})}}); });
    CHECK_THAT(error, Contains("lighter.callbacks.FileWriter") && Contains("samples 0 and 3") && Contains("'a'") &&
                          Contains("overwrite = true"));
    CHECK(file_names(out) == Strings{"a.txt", "b.txt"});  // nothing of the failing batch
    CHECK(read_text(out / "a.txt") == "1\n");
  }
  SECTION("within a batch, and through another spelling of the same path") {
    auto run = writer();
    CHECK_THAT(error_of([&] { run.batch(Dict{{"pred", torch::tensor({1, 2, 3})}, {"name", strings({"x", "y", "./x"})}}); }),
               Contains("samples 0 and 2") && Contains("'./x'"));
    CHECK(file_names(out).empty());
  }
  SECTION("integer ids that repeat") {
    auto run = writer();
    CHECK_THAT(error_of([&] { run.batch(Dict{{"pred", torch::tensor({1, 2, 3, 4})}, {"name", torch::tensor({0, 1, 0, 1})}}); }),
               Contains("samples 0 and 2") && Contains("'0'"));
  }
  SECTION("overwrite = true: the later sample wins") {
    auto run = writer({{"overwrite", true}});
    run.batch(Dict{{"pred", torch::tensor({1, 2})}, {"name", strings({"a", "b"})}});
    run.batch(Dict{{"pred", torch::tensor({3, 4})}, {"name", strings({"c", "a"})}});
    CHECK(file_names(out) == Strings{"a.txt", "b.txt", "c.txt"});
    CHECK(read_text(out / "a.txt") == "4\n");
  }
  SECTION("a new predict epoch starts afresh") {
    auto run = writer();
    run.batch(Dict{{"pred", torch::tensor({1})}, {"name", strings({"a"})}});
    run.callback->on_predict_epoch_start(run.trainer, run.model);
    run.batch(Dict{{"pred", torch::tensor({2})}, {"name", strings({"a"})}});
    CHECK(read_text(out / "a.txt") == "2\n");
  }
}

TEST_CASE("CSV data set: a bad cell is an error naming the file, line, column and cell", "[faults][csv]") {
  TempDir dir("lighter-faults-csv");
  const fs::path file = dir.path() / "data.csv";
  auto error = [&](const std::string& text, Value::Table values) {
    return error_of([&] { csv_dataset(file, text, std::move(values)); });
  };
  const Value::Table regression{{"target", "y"}, {"task", "regression"}};

  // A feature column picked automatically is not silently dropped for one stray word.
  CHECK_THAT(error("a,b,y\n1,2,0\n3,oops,1\n5,6,0\n", {{"target", "y"}}),
             Contains("data.csv:3: column 'b' holds 'oops', which is not a number") && Contains("features"));
  CHECK_THAT(error("a,b,y\n1,2,0\n3,oops,1\n", {{"target", "y"}, {"features", Value::Array{"a", "b"}}}),
             Contains("data.csv:3: column 'b' holds 'oops'") && Contains("leave the column out of `features`"));
  // Lines as an editor counts them: a quoted line break in an earlier row counts.
  CHECK_THAT(error("note,a,y\n\"two\nlines\",1,0.5\nplain,x,1.5\n", regression), Contains("data.csv:4: column 'a' holds 'x'"));
  // Target columns: regression values, and class indices with one stray label.
  CHECK_THAT(error("a,y\n1,0.5\n2,big\n", regression), Contains("data.csv:3: column 'y' holds 'big', which is not a number"));
  CHECK_THAT(error("a,y\n1,0\n2,1\n3,two\n", {{"target", "y"}}),
             Contains("data.csv:4: column 'y' holds 'two'") && Contains("line 2 holds '0'") && Contains("`classes`"));
  CHECK_THAT(error("a,y\n1,0\n2,\n", {{"target", "y"}}), Contains("data.csv:3: column 'y' is empty") && Contains("class label"));
  // Empty cells and nan / inf: an error with the way out.
  CHECK_THAT(error("a,b,y\n1,2,0\n3,,1\n", {{"target", "y"}}),
             Contains("data.csv:3: column 'b' is empty") && Contains("allow_nan = true"));
  CHECK_THAT(error("a,b,y\n1,nan,0\n3,4,1\n", {{"target", "y"}}),
             Contains("data.csv:2: column 'b' holds 'nan', which is not a finite number") && Contains("allow_nan = true"));
  CHECK_THAT(error("a,y\n1,0.5\n2,-inf\n", regression), Contains("data.csv:3: column 'y' holds '-inf'"));
}

TEST_CASE("CSV data set: allow_nan reads empty cells as NaN and keeps nan/inf", "[faults][csv]") {
  TempDir dir("lighter-faults-csv-nan");
  auto ds = csv_dataset(dir.path() / "data.csv", "a,b,y\n1,,0.5\ninf,2,nan\n",
                        {{"target", "y"}, {"task", "regression"}, {"allow_nan", true}});
  const torch::Tensor input = all_of(*ds, "input"), target = all_of(*ds, "target");
  CHECK(input[0][0].item<float>() == 1.0f);
  CHECK(std::isnan(input[0][1].item<float>()));
  CHECK(std::isinf(input[1][0].item<float>()));
  CHECK(input[1][1].item<float>() == 2.0f);
  CHECK(target[0].item<float>() == 0.5f);
  CHECK(std::isnan(target[1].item<float>()));
  // A column with no number at all is still text, skipped when features are picked for you.
  auto names = csv_dataset(dir.path() / "names.csv", "name,a,y\nNan,1,0\nBob,2,1\n", {{"target", "y"}});
  CHECK(all_of(*names, "input").size(1) == 1);
}
