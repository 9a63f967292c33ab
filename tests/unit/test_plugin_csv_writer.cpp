// lighter.callbacks.CsvWriter driven through a fake trainer: rows from tensors, lists and
// scalars, Python-style cells, RFC 4180 quoting, every error, the per-rank files and rank 0's
// merge, and that a failed, fast_dev_run or non-predict stage leaves no file behind.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/data.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "support/ci.hpp"
#include "support/fake_trainer.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using lighter::Callback;
using lighter::Dict;
using lighter::ParamError;
using lighter::Value;
using lighter::test::FakeModel;
using lighter::test::FakeTrainer;
using lighter::test::file_names;
using lighter::test::read_text;
using lighter::test::TempDir;
using Strings = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {
std::shared_ptr<Callback> csv_writer(const fs::path& path, const Strings& keys) {
  Value::Array key_values(keys.begin(), keys.end());
  return lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_CALLBACKS)
      .make<Callback>("lighter.callbacks.CsvWriter", {{"path", path.string()}, {"keys", key_values}});
}

// One rank's predict stage, hook by hook.
struct Predict {
  Predict(const fs::path& path, const Strings& keys, int64_t rank = 0, int64_t ranks = 1) : writer(csv_writer(path, keys)) {
    trainer.stage_name = "predict";
    trainer.rank = rank;
    trainer.ranks = ranks;
  }
  void start() {
    writer->setup(trainer, model, trainer.stage_name);
    writer->on_predict_start(trainer, model);
    writer->on_predict_epoch_start(trainer, model);
  }
  void batch(const Dict& outputs) { writer->on_predict_batch_end(trainer, model, outputs, Dict{}, batch_idx++); }
  void end() {
    writer->on_predict_epoch_end(trainer, model);
    writer->on_predict_end(trainer, model);
    writer->teardown(trainer, model, trainer.stage_name);
  }
  void fail(const std::exception& e) {
    writer->on_exception(trainer, model, e);
    writer->teardown(trainer, model, trainer.stage_name);
  }

  FakeTrainer trainer;
  FakeModel model;
  std::shared_ptr<Callback> writer;
  int64_t batch_idx = 0;
};

// The file a one-process predict over `batches` leaves.
std::string write_csv(const Strings& keys, const std::vector<Dict>& batches) {
  TempDir dir("lighter-csv-writer");
  Predict run(dir.path() / "preds.csv", keys);
  run.start();
  for (const auto& outputs : batches) run.batch(outputs);
  run.end();
  CHECK(file_names(dir.path()) == Strings{"preds.csv"});
  return read_text(dir.path() / "preds.csv");
}

torch::Tensor longs(std::vector<int64_t> values) { return torch::tensor(values, torch::kLong); }
torch::Tensor doubles(std::vector<double> values) { return torch::tensor(values, torch::kDouble); }
c10::IValue strings(std::vector<std::string> values) { return c10::List<std::string>(values); }

// The message of what `batch` throws from a fresh writer.
std::string batch_error(const Strings& keys, const Dict& outputs) {
  TempDir dir("lighter-csv-writer-error");
  Predict run(dir.path() / "preds.csv", keys);
  run.start();
  try {
    run.batch(outputs);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("CsvWriter writes one row per sample from tensors, lists, scalars and strings", "[plugin][csv_writer]") {
  const Dict outputs{{"id", longs({0, 1, 2})},     {"pred", doubles({0.5, 1.0, 0.1})}, {"name", strings({"a", "b", "c"})},
                     {"tag", "x"},                 {"count", 7},                       {"flag", true},
                     {"unused", longs({9, 9, 9})}, {"none", c10::IValue()}};
  CHECK(write_csv({"id", "pred", "name", "tag", "count", "flag", "none"}, {outputs}) ==
        "id,pred,name,tag,count,flag,none\n"
        "0,0.5,a,x,7,True,\n"
        "1,1.0,b,x,7,True,\n"
        "2,0.1,c,x,7,True,\n");
}

TEST_CASE("CsvWriter appends every batch under one header and skips empty batches", "[plugin][csv_writer]") {
  CHECK(write_csv({"id", "y"}, {Dict{{"id", longs({0, 1})}, {"y", longs({5, 6})}},
                                Dict{{"id", longs({})}, {"y", longs({})}},
                                Dict{{"id", longs({2})}, {"y", longs({7})}}}) == "id,y\n0,5\n1,6\n2,7\n");
  CHECK(write_csv({"id"}, {}) == "id\n");
}

TEST_CASE("CsvWriter repeats 0-d tensors and scalars on every row", "[plugin][csv_writer]") {
  const Dict outputs{{"loss", torch::tensor(0.25, torch::kDouble)}, {"step", torch::tensor(3, torch::kLong)}, {"id", longs({3, 4})}};
  CHECK(write_csv({"loss", "step", "id"}, {outputs}) == "loss,step,id\n0.25,3,3\n0.25,3,4\n");
  // With no key holding samples, a batch is one row.
  CHECK(write_csv({"loss", "tag"}, {Dict{{"loss", torch::tensor(0.5f)}, {"tag", "t"}}}) == "loss,tag\n0.5,t\n");
}

TEST_CASE("CsvWriter writes non-scalar samples as Python list literals", "[plugin][csv_writer]") {
  c10::List<c10::List<int64_t>> nested;
  nested.push_back(c10::List<int64_t>({1, 2}));
  nested.push_back(c10::List<int64_t>());
  const Dict outputs{{"probs", torch::tensor({0.25f, 0.75f, 1.0f, 0.0f}).reshape({2, 2})},
                     {"mask", torch::tensor({true, false, false, true}).reshape({2, 2})},
                     {"box", torch::arange(4, torch::kInt).reshape({2, 1, 2})},
                     {"single", doubles({0.5, 1.5}).reshape({2, 1})},
                     {"lists", nested},
                     {"words", c10::List<c10::List<std::string>>({c10::List<std::string>({"a", "b'c"}), c10::List<std::string>({"d\"e"})})},
                     {"pair", c10::ivalue::Tuple::create({c10::IValue(1), c10::IValue(std::string("two"))})}};
  CHECK(write_csv({"probs", "mask", "box", "single", "lists", "words", "pair"}, {outputs}) ==
        "probs,mask,box,single,lists,words,pair\n"
        "\"[0.25, 0.75]\",\"[True, False]\",\"[[0, 1]]\",0.5,\"[1, 2]\",\"['a', \"\"b'c\"\"]\",1\n"
        "\"[1.0, 0.0]\",\"[False, True]\",\"[[2, 3]]\",1.5,[],\"['d\"\"e']\",two\n");
}

TEST_CASE("CsvWriter writes a tensor of one element per sample as that number", "[plugin][csv_writer]") {
  const Dict outputs{{"pred", torch::tensor({0.549f, -2.0f}).reshape({2, 1})},
                     {"deep", longs({3, 4}).reshape({2, 1, 1})},
                     {"flat", doubles({0.25, 0.5})},
                     {"pair", doubles({1, 2, 3, 4}).reshape({2, 2})},
                     {"empty", torch::zeros({2, 0})},
                     {"listed", c10::List<c10::List<double>>({c10::List<double>({0.5}), c10::List<double>({1.5})})}};
  CHECK(write_csv({"pred", "deep", "flat", "pair", "empty", "listed"}, {outputs}) ==
        "pred,deep,flat,pair,empty,listed\n"
        "0.5490000247955322,3,0.25,\"[1.0, 2.0]\",[],[0.5]\n"
        "-2.0,4,0.5,\"[3.0, 4.0]\",[],[1.5]\n");
}

TEST_CASE("CsvWriter writes string ids exactly, quoting them only where CSV needs it", "[plugin][csv_writer]") {
  const Dict outputs{{"id", strings({"patient-007", "007", "1e3", "Doe, Jane", " padded "})},
                     {"pred", doubles({0.5, 1.5, 2.5, 3.5, 4.5}).reshape({5, 1})}};
  CHECK(write_csv({"id", "pred"}, {outputs}) ==
        "id,pred\npatient-007,0.5\n007,1.5\n1e3,2.5\n\"Doe, Jane\",3.5\n padded ,4.5\n");
}

TEST_CASE("CsvWriter writes the ids of a CSV dataset's `id` column as the file has them", "[plugin][csv_writer]") {
  TempDir dir("lighter-csv-writer-ids");
  std::ofstream(dir.path() / "data.csv", std::ios::binary) << "name,x,y\npatient-007,0.5,1\n\"Doe, Jane\",1.5,0\n007,2.5,1\n";
  auto dataset = lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_DATA)
                     .make<lighter::Dataset>("lighter.datasets.CSV", {{"path", (dir.path() / "data.csv").string()},
                                                                      {"target", "y"},
                                                                      {"id", "name"},
                                                                      {"task", "regression"}});
  torch::Generator generator;
  const Dict batch = dataset->get_batch({2, 0, 1}, generator);
  const Dict outputs{{"id", batch.at("id")}, {"pred", batch.tensor("input")}, {"target", batch.tensor("target")}};
  CHECK(write_csv({"id", "pred", "target"}, {outputs}) ==
        "id,pred,target\n007,2.5,1.0\npatient-007,0.5,1.0\n\"Doe, Jane\",1.5,0.0\n");
}

TEST_CASE("CsvWriter formats numbers as Python's str() does", "[plugin][csv_writer]") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const Dict doubles_only{{"x", doubles({0.1, 1e-05, 0.0001, 1e16, 9999999999999998.0, 123.456, -0.0, nan, inf, -inf,
                                         1.5e300, 2.5e-300, 100.0, 5e-324, 0.30000000000000004, 12345678901234567.0})}};
  CHECK(write_csv({"x"}, {doubles_only}) ==
        "x\n0.1\n1e-05\n0.0001\n1e+16\n9999999999999998.0\n123.456\n-0.0\nnan\ninf\n-inf\n1.5e+300\n2.5e-300\n100.0\n"
        "5e-324\n0.30000000000000004\n1.2345678901234568e+16\n");
  // Narrow floats are written as the Python float `.item()` gives: exact, so 0.1f is not 0.1.
  const Dict narrow{{"f32", torch::tensor({0.1f})},
                    {"f16", torch::tensor({0.1f}).to(torch::kHalf)},
                    {"bf16", torch::tensor({0.1f}).to(torch::kBFloat16)},
                    {"i8", torch::tensor({-5}, torch::kChar)},
                    {"u8", torch::tensor({200}, torch::kByte)},
                    {"i16", torch::tensor({-300}, torch::kShort)},
                    {"i32", torch::tensor({70000}, torch::kInt)},
                    {"i64", longs({-9007199254740993})},
                    {"b", torch::tensor({true})},
                    {"py", c10::List<double>({2.0})}};
  CHECK(write_csv({"f32", "f16", "bf16", "i8", "u8", "i16", "i32", "i64", "b", "py"}, {narrow}) ==
        "f32,f16,bf16,i8,u8,i16,i32,i64,b,py\n0.10000000149011612,0.0999755859375,0.10009765625,-5,200,-300,70000,"
        "-9007199254740993,True,2.0\n");
}

TEST_CASE("CsvWriter quotes fields per RFC 4180", "[plugin][csv_writer]") {
  const Dict outputs{{"id", longs({0, 1, 2, 3, 4})}, {"a,b", strings({"plain", "x,y", "say \"hi\"", "line\nbreak", "cr\rhere"})}};
  CHECK(write_csv({"id", "a,b"}, {outputs}) ==
        "id,\"a,b\"\n0,plain\n1,\"x,y\"\n2,\"say \"\"hi\"\"\"\n3,\"line\nbreak\"\n4,\"cr\rhere\"\n");
  // A row of one empty field is written `""`, as Python's csv does, so readers do not skip it.
  CHECK(write_csv({"s"}, {Dict{{"s", strings({"", "z"})}}}) == "s\n\"\"\nz\n");
}

TEST_CASE("CsvWriter reads only the outputs it writes", "[plugin][csv_writer]") {
  int computed = 0;
  Dict outputs{{"id", longs({1})}};
  outputs.set_lazy("probs", [&] {
    ++computed;
    return c10::IValue(doubles({0.5}));
  });
  CHECK(write_csv({"id"}, {outputs}) == "id\n1\n");
  CHECK(computed == 0);
  CHECK(write_csv({"id", "probs"}, {outputs}) == "id,probs\n1,0.5\n");
  CHECK(computed == 1);
}

TEST_CASE("CsvWriter flushes large predictions through its buffer intact", "[plugin][csv_writer]") {
  const int64_t n = 300000;
  const std::string text = write_csv({"id", "y"}, {Dict{{"id", torch::arange(n)}, {"y", torch::arange(n).to(torch::kDouble) / 4}}});
  CHECK(std::count(text.begin(), text.end(), '\n') == n + 1);
  CHECK(text.substr(0, 15) == "id,y\n0,0.0\n1,0.");
  CHECK(text.substr(text.size() - 17) == "\n299999,74999.75\n");
}

TEST_CASE("CsvWriter errors name the keys", "[plugin][csv_writer]") {
  const Dict outputs{{"id", longs({0, 1, 2})}, {"loss", torch::tensor(1.0)}};
  CHECK_THAT(batch_error({"pred", "target"}, outputs),
             StartsWith("lighter.callbacks.CsvWriter: ") && Contains("none of the configured keys ['pred', 'target']") &&
                 Contains("available keys: ['id', 'loss']"));
  CHECK_THAT(batch_error({"id", "pred"}, outputs),
             StartsWith("lighter.callbacks.CsvWriter: ") && Contains("key 'pred' is missing") &&
                 Contains("available keys: ['id', 'loss']"));
  CHECK_THAT(batch_error({"id", "pred"}, Dict{{"id", longs({0, 1, 2})}, {"pred", strings({"a", "b"})}}),
             StartsWith("lighter.callbacks.CsvWriter: ") &&
                 Contains("expected 3 samples (the length of key 'id'), but key 'pred' has 2"));
  CHECK_THAT(batch_error({"z"}, Dict{{"z", torch::ones({2}, torch::kComplexFloat)}}),
             StartsWith("lighter.callbacks.CsvWriter: ") && Contains("key 'z' holds a ComplexFloat tensor"));
  CHECK_THAT(batch_error({"d"}, Dict{{"d", Dict{{"a", 1}}.to_ivalue()}}),
             StartsWith("lighter.callbacks.CsvWriter: ") && Contains("key 'd' holds a GenericDict"));
}

TEST_CASE("CsvWriter rejects bad parameters", "[plugin][csv_writer]") {
  CHECK_THROWS_AS(csv_writer("preds.csv", {}), ParamError);
  CHECK_THROWS_WITH(csv_writer("out/", {"id"}), Contains("must name a file"));
  const auto& plugin = lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_CALLBACKS);
  CHECK_THROWS_AS(plugin.build("lighter.callbacks.CsvWriter", {{"keys", Value::Array{"id"}}}), ParamError);
  CHECK_THROWS_AS(plugin.build("lighter.callbacks.CsvWriter", {{"path", "p.csv"}, {"keys", Value::Array{1}}}), ParamError);
}

TEST_CASE("CsvWriter ranks write their own files and rank 0 merges them in rank order", "[plugin][csv_writer]") {
  TempDir dir("lighter-csv-writer-ranks");
  const fs::path path = dir.path() / "preds.csv";
  Predict rank0(path, {"id", "name"}, 0, 2), rank1(path, {"id", "name"}, 1, 2);
  rank0.start();
  rank1.start();
  CHECK(file_names(dir.path()) == Strings{"preds.tmp_rank0.csv", "preds.tmp_rank1.csv"});
  rank1.batch(Dict{{"id", longs({1, 3})}, {"name", strings({"b", "d,e"})}});
  rank0.batch(Dict{{"id", longs({0, 2})}, {"name", strings({"a", "c"})}});
  rank0.batch(Dict{{"id", longs({4})}, {"name", strings({"e"})}});
  rank1.end();
  CHECK(rank1.trainer.barriers == 1);
  CHECK(file_names(dir.path()) == Strings{"preds.tmp_rank0.csv", "preds.tmp_rank1.csv"});
  CHECK(read_text(dir.path() / "preds.tmp_rank1.csv") == "id,name\n1,b\n3,\"d,e\"\n");
  rank0.end();
  CHECK(rank0.trainer.barriers == 1);
  CHECK(file_names(dir.path()) == Strings{"preds.csv"});
  CHECK(read_text(path) == "id,name\n0,a\n2,c\n4,e\n1,b\n3,\"d,e\"\n");
}

TEST_CASE("CsvWriter rank 0 fails cleanly when a rank's file is missing", "[plugin][csv_writer]") {
  TempDir dir("lighter-csv-writer-missing-rank");
  Predict rank0(dir.path() / "preds.csv", {"id"}, 0, 2);
  rank0.start();
  rank0.batch(Dict{{"id", longs({0})}});
  try {
    rank0.end();
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), StartsWith("lighter.callbacks.CsvWriter: ") && Contains("rank 1") && Contains("preds.tmp_rank1.csv"));
    rank0.fail(e);
  }
  CHECK(file_names(dir.path()).empty());
}

TEST_CASE("CsvWriter leaves no file behind when predict fails", "[plugin][csv_writer]") {
  TempDir dir("lighter-csv-writer-crash");
  const fs::path path = dir.path() / "preds.csv";
  {
    Predict run(path, {"id"});
    run.start();
    run.batch(Dict{{"id", longs({0, 1})}});
    CHECK_THROWS_AS(run.batch(Dict{{"other", 1}}), std::runtime_error);
    run.fail(std::runtime_error("predict_step failed"));
    CHECK(file_names(dir.path()).empty());
  }
  {
    Predict run(path, {"id"});  // teardown without an epoch end (a stop the hooks did not see)
    run.start();
    run.batch(Dict{{"id", longs({0})}});
    run.writer->teardown(run.trainer, run.model, "predict");
    CHECK(file_names(dir.path()).empty());
  }
  {
    Predict run(path, {"id"});  // the writer goes away mid-predict
    run.start();
    run.batch(Dict{{"id", longs({0})}});
    run.writer.reset();
    CHECK(file_names(dir.path()).empty());
  }
}

TEST_CASE("CsvWriter writes nothing under fast_dev_run or outside predict", "[plugin][csv_writer]") {
  TempDir dir("lighter-csv-writer-quiet");
  const fs::path path = dir.path() / "out" / "preds.csv";
  auto run_all = [&](Predict& run) {
    run.start();
    run.batch(Dict{{"id", longs({0, 1})}});
    run.end();
  };
  Predict dev_run(path, {"id"});
  dev_run.trainer.dev_run = true;
  run_all(dev_run);
  CHECK(dev_run.trainer.barriers == 0);
  for (const char* stage : {"fit", "validate", "test"}) {
    Predict run(path, {"id"});
    run.trainer.stage_name = stage;
    run_all(run);
  }
  CHECK_FALSE(fs::exists(dir.path() / "out"));
}

TEST_CASE("CsvWriter creates the folder and resolves relative paths from the working directory", "[plugin][csv_writer]") {
  TempDir dir("lighter-csv-writer-folders");
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  {
    Predict run(fs::path("a") / "b" / "preds", {"id"});  // no suffix: the rank file is preds.tmp_rank0
    run.start();
    CHECK(fs::exists(dir.path() / "a" / "b" / "preds.tmp_rank0"));
    run.batch(Dict{{"id", longs({7})}});
    run.end();
  }
  fs::current_path(previous);
  CHECK(read_text(dir.path() / "a" / "b" / "preds") == "id\n7\n");
  CHECK(file_names(dir.path() / "a" / "b") == Strings{"preds"});
}

TEST_CASE("CsvWriter output matches what Python's csv module writes for the same values", "[plugin][csv_writer]") {
  LIGHTER_REQUIRE_TOOL(fs::exists("/usr/bin/python3"), "/usr/bin/python3");
  TempDir dir("lighter-csv-writer-python");
  const Dict outputs{{"id", longs({0, 1})},
                     {"pred", doubles({0.1, std::numeric_limits<double>::quiet_NaN()})},
                     {"probs", doubles({0.25, 1e-05, 1e16, -0.0}).reshape({2, 2})},
                     {"text", strings({"x,y", "say \"hi\"\nbye"})},
                     {"flag", torch::tensor({true, false})},
                     {"words", c10::List<c10::List<std::string>>({c10::List<std::string>({"a'b"}), c10::List<std::string>({"c"})})}};
  const std::string ours = write_csv({"id", "pred", "probs", "text", "flag", "words"}, {outputs});
  std::ofstream(dir.path() / "ours.csv", std::ios::binary) << ours;
  std::ofstream(dir.path() / "check.py") << R"(import csv, sys
rows = [["id", "pred", "probs", "text", "flag", "words"],
        [0, 0.1, [0.25, 1e-05], "x,y", True, ["a'b"]],
        [1, float("nan"), [1e16, -0.0], 'say "hi"\nbye', False, ["c"]]]
with open(sys.argv[1], "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
with open(sys.argv[2], newline="") as f:
    assert list(csv.reader(f))[2][3] == 'say "hi"\nbye'
)";
  const std::string command = "/usr/bin/python3 " + (dir.path() / "check.py").string() + " " + (dir.path() / "python.csv").string() +
                              " " + (dir.path() / "ours.csv").string();
  REQUIRE(std::system(command.c_str()) == 0);
  CHECK(read_text(dir.path() / "python.csv") == ours);
}
