// lighter-host predict end to end with the built-in writers: the Fashion-MNIST predict example,
// the files the writers leave, and what a failing predict leaves (nothing half-written).
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "support/host_runner.hpp"
#include "support/ci.hpp"

using lighter::test::read_text;
using lighter::test::run_host;
using lighter::test::TempDir;
namespace fs = std::filesystem;

namespace {
const fs::path kData = fs::path(LIGHTER_TEST_DATA_DIR) / "e2e";
const std::string kSynthetic = (kData / "synthetic.toml").string();
const fs::path kExamples = fs::path(LIGHTER_SOURCE_DIR) / "examples" / "fashion_mnist";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  if (fs::exists(dir))
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("the Fashion-MNIST predict example writes predictions.csv and PNGs named by id") {
  LIGHTER_REQUIRE_TOOL(fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"), "dataset-fashion-mnist");
  TempDir dir;
  const std::string mlp = (kExamples / "mlp.toml").string();
  auto fit = run_host({"fit", mlp, "trainer::max_epochs=1", "trainer::limit_train_batches=20", "trainer::limit_val_batches=1"},
                      dir.path());
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  auto predict = run_host({"predict", mlp + "," + (kExamples / "predict.toml").string(), "--ckpt_path", "best",
                           "trainer::limit_predict_batches=1", "data::predict_dataloader::batch_size=8"},
                          dir.path());
  INFO(predict.err);
  REQUIRE(predict.exit_code == 0);
  const auto rows = lines_of(read_text(dir / "predictions.csv"));
  REQUIRE(rows.size() == 9);
  CHECK(rows[0] == "id,pred,target");
  // Debian's t10k labels begin 9, 2, 1, 1, 6, 1, 4, 6 (ankle boot, pullover, trouser, ...).
  const std::vector<std::string> targets{"9", "2", "1", "1", "6", "1", "4", "6"};
  for (size_t i = 0; i < 8; ++i) {
    INFO(rows[i + 1]);
    CHECK(rows[i + 1].rfind(std::to_string(i) + ",", 0) == 0);
    CHECK(rows[i + 1].substr(rows[i + 1].rfind(',') + 1) == targets[i]);
  }
  CHECK(files_under(dir / "predictions" / "images") ==
        std::vector<std::string>{"0.png", "1.png", "2.png", "3.png", "4.png", "5.png", "6.png", "7.png"});
  CHECK(read_text(dir / "predictions" / "images" / "0.png").substr(1, 3) == "PNG");
  CHECK(files_under(dir.path()).size() == 1 + 8 + files_under(dir / "lighter_logs").size());  // no temp files left
}

TEST_CASE("a predict that fails leaves no half-written writer output") {
  TempDir dir;
  REQUIRE(run_host({"fit", kSynthetic, "trainer::max_epochs=1"}, dir.path()).exit_code == 0);
  const std::string writer = R"(trainer::callbacks=[{_target_="lighter.callbacks.CsvWriter", path="out/preds.csv", keys=["id", "pred", "nope"]}])";
  auto r = run_host({"predict", kSynthetic, writer, "--ckpt_path", "last"}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("lighter.callbacks.CsvWriter") && Catch::Contains("nope"));
  CHECK(files_under(dir / "out").empty());

  const std::string good = R"(trainer::callbacks=[{_target_="lighter.callbacks.CsvWriter", path="out/preds.csv", keys=["id", "pred", "target"]}])";
  auto ok = run_host({"predict", kSynthetic, good, "--ckpt_path", "last"}, dir.path());
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(files_under(dir / "out") == std::vector<std::string>{"preds.csv"});
  CHECK(lines_of(read_text(dir / "out" / "preds.csv")).size() == 65);  // header + the 64 predict samples
}

TEST_CASE("the writers and the Freezer are built-in and described") {
  TempDir dir;
  auto list = run_host({"plugins"}, dir.path());
  REQUIRE(list.exit_code == 0);
  for (const char* name : {"lighter.callbacks.CsvWriter", "lighter.callbacks.FileWriter", "lighter.callbacks.Freezer"})
    CHECK_THAT(list.out, Catch::Contains(name));
  CHECK_THAT(list.out, Catch::Contains("writer functions (FileWriter's writer_fn):"));
  for (const char* fn : {"tensor ", "image_2d ", "image_3d ", "text ", "npy "}) CHECK_THAT(list.out, Catch::Contains(fn));
  auto describe = run_host({"plugins", "--describe", "lighter.callbacks.Freezer"}, dir.path());
  CHECK(describe.exit_code == 0);
  for (const char* param : {"names", "name_starts_with", "except_names", "except_name_starts_with", "until_step", "until_epoch"})
    CHECK_THAT(describe.out, Catch::Contains(param));
  auto writer = run_host({"plugins", "--describe", "lighter.callbacks.FileWriter"}, dir.path());
  CHECK(writer.exit_code == 0);
  CHECK_THAT(writer.out, Catch::Contains("writer_fn"));
}
