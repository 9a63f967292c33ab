// lighter-host on YAML configs written as Lighter's docs write them: the same merged config as
// their TOML twins, runs that leave config.yaml, and one clear error for bad YAML.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/ci.hpp"
#include "support/host_runner.hpp"

using lighter::test::read_text;
using lighter::test::run_host;
using lighter::test::TempDir;
using lighter::test::write_text;
namespace fs = std::filesystem;

namespace {
const fs::path kYaml = fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "yaml";
const fs::path kExamples = fs::path(LIGHTER_SOURCE_DIR) / "examples" / "fashion_mnist";
const std::string kSynthetic = (fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "synthetic.toml").string();

std::string lighter_style() { return (kYaml / "base.yaml").string() + "," + (kYaml / "experiment.yaml").string(); }
}  // namespace

TEST_CASE("a YAML config and its TOML twin print the same merged config") {
  TempDir dir;
  auto yaml = run_host({"fit", (kExamples / "mlp.yaml").string(), "--print-config", "--format", "toml"}, dir.path());
  auto toml = run_host({"fit", (kExamples / "mlp.toml").string(), "--print-config"}, dir.path());
  INFO(yaml.err);
  REQUIRE(yaml.exit_code == 0);
  REQUIRE(toml.exit_code == 0);
  CHECK(yaml.out == toml.out);
  CHECK_THAT(yaml.out, Catch::Contains("in_features = 784") && Catch::Contains("T_max = 20"));

  auto docs = run_host({"fit", lighter_style(), "--print-config"}, dir.path());
  auto twin = run_host({"fit", (kYaml / "twin.toml").string(), "trainer::gradient_clip_val=null",
                        "args::fit::ckpt_path=null", "--print-config", "--format", "yaml"},
                       dir.path());
  INFO(docs.err);
  REQUIRE(docs.exit_code == 0);
  REQUIRE(twin.exit_code == 0);
  CHECK(docs.out == twin.out);
  CHECK_THAT(docs.out, Catch::Contains("params: \"@model::network\"") && Catch::Contains("path: fmnist_fold0.csv") &&
                           Catch::Contains("gradient_clip_val: null"));
  // TOML cannot say null: printing it as TOML is one clear error.
  auto as_toml = run_host({"fit", lighter_style(), "--print-config", "--format", "toml"}, dir.path());
  CHECK(as_toml.exit_code == 2);
  CHECK_THAT(as_toml.err, Catch::Contains("trainer::gradient_clip_val") && Catch::Contains("--format yaml"));
}

TEST_CASE("a Lighter-style YAML config trains, predicts and leaves config.yaml") {
  LIGHTER_REQUIRE_TOOL(fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"), "dataset-fashion-mnist");
  TempDir dir;
  auto fit = run_host({"fit", lighter_style(), "vars::lr=$1e-3 * 4"}, dir.path());
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  const fs::path run = dir / "lighter_logs/version_0";
  CHECK(fs::exists(run / "checkpoints/last.ckpt"));
  CHECK_FALSE(fs::exists(run / "config.toml"));
  const std::string saved = read_text(run / "config.yaml");
  CHECK_THAT(saved, Catch::Contains("lr: 0.004") && Catch::Contains("lr: 0.002"));  // the override reaches $@vars::lr / 2

  // The saved config runs as it is.
  auto again = run_host({"fit", (run / "config.yaml").string(), "--print-config"}, dir.path());
  INFO(again.err);
  CHECK(again.exit_code == 0);

  auto predict = run_host({"predict", lighter_style(), "--ckpt-path", "best"}, dir.path());
  INFO(predict.err);
  REQUIRE(predict.exit_code == 0);
  const std::string csv = read_text(dir / "fmnist_fold0.csv");
  CHECK_THAT(csv, Catch::StartsWith("id,pred,target\n0,"));

  // A TOML run whose config holds a null (from an override) is saved as YAML too.
  auto null_run = run_host({"fit", kSynthetic, "trainer::max_epochs=1", "trainer::gradient_clip_val=null"}, dir.path());
  INFO(null_run.err);
  REQUIRE(null_run.exit_code == 0);
  CHECK(fs::exists(dir / "lighter_logs/version_2/config.yaml"));
}

TEST_CASE("bad YAML and bad expressions are one clear error, exit 2, nothing written") {
  TempDir dir;
  write_text(dir / "broken.yaml", "trainer:\n  max_epochs: [1\n");
  auto broken = run_host({"fit", (dir / "broken.yaml").string()}, dir.path());
  CHECK(broken.exit_code == 2);
  CHECK_THAT(broken.err, Catch::StartsWith("error: ") && Catch::Contains("broken.yaml:3:1: malformed YAML"));

  write_text(dir / "tagged.yml", "trainer:\n  max_epochs: !!python/object/apply:os.system [ls]\n");
  auto tagged = run_host({"fit", (dir / "tagged.yml").string()}, dir.path());
  CHECK(tagged.exit_code == 2);
  CHECK_THAT(tagged.err, Catch::Contains("tagged.yml:2:15: trainer::max_epochs: YAML tag"));

  auto expression = run_host({"fit", kSynthetic, "trainer::max_epochs=$open('x').read()"}, dir.path());
  CHECK(expression.exit_code == 2);
  CHECK_THAT(expression.err, Catch::Contains("'open' is not supported"));

  auto null_list = run_host({"fit", kSynthetic, "model::optimizer::betas=null", "--dry-run"}, dir.path());
  CHECK(null_list.exit_code == 2);
  CHECK_THAT(null_list.err, Catch::Contains("<override>: model::optimizer::betas: expected list, got null (None) (null is "
                                            "not a list: to drop the key write ~model::optimizer::betas"));

  auto flag = run_host({"fit", kSynthetic, "--print-confg"}, dir.path());
  CHECK(flag.exit_code == 2);
  CHECK_THAT(flag.err, Catch::Contains("unknown option '--print-confg' (did you mean '--print-config'?)"));
  auto format = run_host({"fit", kSynthetic, "--format", "yaml"}, dir.path());
  CHECK(format.exit_code == 2);
  CHECK_THAT(format.err, Catch::Contains("--format applies to --print-config"));
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
}
