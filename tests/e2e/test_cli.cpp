// lighter-host end to end: the command line, exit codes and the files a run leaves.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/host_runner.hpp"
#include "support/ci.hpp"

using lighter::test::count_entries;
using lighter::test::read_text;
using lighter::test::run_host;
using lighter::test::TempDir;
using lighter::test::write_text;
namespace fs = std::filesystem;

namespace {
const fs::path kData = fs::path(LIGHTER_TEST_DATA_DIR) / "e2e";
const std::string kSynthetic = (kData / "synthetic.toml").string();
}  // namespace

TEST_CASE("--version and --help exit 0") {
  TempDir dir;
  auto version = run_host({"--version"}, dir.path());
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::StartsWith("lighter-host "));
  auto help = run_host({"--help"}, dir.path());
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("fit|validate|test|predict"));
}

TEST_CASE("usage errors exit 2 with one clear line") {
  TempDir dir;
  auto none = run_host({}, dir.path());
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, Catch::StartsWith("error: no command given"));
  auto typo = run_host({"fitt", "a.toml"}, dir.path());
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("unknown command 'fitt' (did you mean 'fit'?)"));
  auto flag = run_host({"fit", kSynthetic, "--ckpt"}, dir.path());
  CHECK(flag.exit_code == 2);
  auto no_inputs = run_host({"test"}, dir.path());
  CHECK(no_inputs.exit_code == 2);
  CHECK_THAT(no_inputs.err, Catch::Contains("test needs at least one config file"));
  auto wrong_stage_flag = run_host({"fit", kSynthetic, "--return_predictions"}, dir.path());
  CHECK(wrong_stage_flag.exit_code == 2);
}

TEST_CASE("every stage parses its flags, and flags override args::<stage>") {
  TempDir dir;
  write_text(dir / "args.toml", "[args.test]\nverbose = false\nckpt_path = \"from-config\"\n");
  for (std::string stage : {"fit", "validate", "test", "predict"}) {
    auto r = run_host({stage, kSynthetic, "--print-config"}, dir.path());
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("[model.network]"));
  }
  auto from_config = run_host({"test", kSynthetic, (dir / "args.toml").string(), "--print-config"}, dir.path());
  CHECK_THAT(from_config.out, Catch::Contains("verbose = false"));
  auto flagged = run_host({"test", kSynthetic, (dir / "args.toml").string(), "--verbose", "--ckpt_path", "best", "--print-config"},
                          dir.path());
  REQUIRE(flagged.exit_code == 0);
  CHECK_THAT(flagged.out, Catch::Contains("verbose = true"));
  CHECK_THAT(flagged.out, Catch::Contains("ckpt_path = \"best\""));
  auto predict = run_host({"predict", kSynthetic, "--return_predictions", "--weights_only", "--print-config"}, dir.path());
  CHECK_THAT(predict.out, Catch::Contains("return_predictions = true"));
  CHECK_THAT(predict.out, Catch::Contains("weights_only = true"));
}

TEST_CASE("--print-config round-trips") {
  TempDir dir;
  auto first = run_host({"fit", kSynthetic, "trainer::max_epochs=5", "--print-config"}, dir.path());
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("max_epochs = 5"));
  // Plain references are expanded; references to components would stay.
  CHECK_THAT(first.out, Catch::Contains("in_features = 8"));
  CHECK_THAT(first.out, !Catch::Contains("@vars::"));
  write_text(dir / "printed.toml", first.out);
  auto second = run_host({"fit", (dir / "printed.toml").string(), "--print-config"}, dir.path());
  REQUIRE(second.exit_code == 0);
  CHECK(second.out == first.out);
  CHECK(count_entries(dir / "lighter_logs") == 0);
}

TEST_CASE("--dry-run builds everything and runs nothing") {
  TempDir dir;
  auto ok = run_host({"fit", kSynthetic, "--dry-run"}, dir.path());
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.err, Catch::Contains("dry run"));
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
}

TEST_CASE("config errors exit 2, name file and key path, and create no run directory") {
  TempDir dir;
  const std::string bad = (kData / "bad_param.toml").string();
  auto r = run_host({"fit", kSynthetic, bad, "--dry-run"}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("bad_param.toml:2:7: model::optimizer::lrr: unknown parameter of torch.optim.Adam (did you mean 'lr'?)"));
  auto without_dry_run = run_host({"fit", kSynthetic, bad}, dir.path());
  CHECK(without_dry_run.exit_code == 2);
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));

  auto type = run_host({"fit", kSynthetic, "trainer::max_epochs=many"}, dir.path());
  CHECK(type.exit_code == 2);
  CHECK_THAT(type.err, Catch::Contains("trainer::max_epochs: expected integer, got string \"many\""));

  auto target = run_host({"fit", kSynthetic, "model::criterion::_target_=torch.nn.CrossEntropyLos"}, dir.path());
  CHECK(target.exit_code == 2);
  CHECK_THAT(target.err, Catch::Contains("did you mean 'torch.nn.CrossEntropyLoss'?"));

  auto missing = run_host({"fit", kSynthetic, "~model::network"}, dir.path());
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("missing required parameter 'network' of lighter.SupervisedModule"));

  auto malformed = run_host({"fit", (kData / "malformed.toml").string()}, dir.path());
  CHECK(malformed.exit_code == 2);
  CHECK_THAT(malformed.err, Catch::Contains("malformed.toml:2:"));

  auto override_error = run_host({"fit", kSynthetic, "model::task::x=1"}, dir.path());
  CHECK(override_error.exit_code == 2);
  CHECK_THAT(override_error.err, Catch::Contains("<override>"));

  auto python = run_host({"fit", (kData / "python_only.toml").string()}, dir.path());
  CHECK(python.exit_code == 2);
  CHECK_THAT(python.err, Catch::Contains("python_only.toml:2:14: trainer::max_epochs: `$` expression") && Catch::Contains("not supported"));

  auto cycle = run_host({"fit", kSynthetic, "vars::hidden=\"@vars::classes\"", "vars::classes=\"@vars::hidden\""}, dir.path());
  CHECK(cycle.exit_code == 2);
  CHECK_THAT(cycle.err, Catch::Contains("reference cycle"));

  auto stage_arg = run_host({"fit", kSynthetic, "args::fit::ckpt=last"}, dir.path());
  CHECK(stage_arg.exit_code == 2);
  CHECK_THAT(stage_arg.err, Catch::Contains("args::fit::ckpt: unknown argument of Trainer.fit() (did you mean 'ckpt_path'?)"));
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
}

TEST_CASE("fit trains, writes a re-runnable config, and validate/test/predict run") {
  TempDir dir;
  auto fit = run_host({"fit", kSynthetic}, dir.path());
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  const fs::path run = dir / "lighter_logs" / "version_0";
  REQUIRE(fs::exists(run / "config.toml"));
  CHECK_THAT(fit.err, Catch::Contains("train/loss/epoch"));
  CHECK_THAT(fit.err, Catch::Contains("val/loss/epoch"));

  auto again = run_host({"fit", (run / "config.toml").string(), "trainer::max_epochs=1"}, dir.path());
  CHECK(again.exit_code == 0);
  CHECK(fs::exists(dir / "lighter_logs" / "version_1" / "config.toml"));

  auto test = run_host({"test", kSynthetic}, dir.path());
  CHECK(test.exit_code == 0);
  CHECK_THAT(test.out, Catch::Contains("Test metric"));
  CHECK_THAT(test.out, Catch::Contains("test/loss/epoch"));
  auto quiet = run_host({"validate", kSynthetic, "args::validate::verbose=false"}, dir.path());
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.empty());
  auto predict = run_host({"predict", kSynthetic}, dir.path());
  CHECK(predict.exit_code == 0);
}

TEST_CASE("fast_dev_run writes nothing") {
  TempDir dir;
  auto r = run_host({"fit", kSynthetic, "trainer::fast_dev_run=true"}, dir.path());
  CHECK(r.exit_code == 0);
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
}

TEST_CASE("a runtime failure exits 1 with a clear message") {
  TempDir dir;
  // The data yields 5 features, the network expects 8: fails in the first training step.
  auto r = run_host({"fit", kSynthetic, "data::train_dataloader::dataset::num_features=5"}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains(": lighter.SupervisedModule (model) failed in training_step at epoch 0, batch 0 "
                                    "(batch: input Float [16, 5], target Long [16], id Long [16]; network torch.nn.Sequential, "
                                    "criterion torch.nn.CrossEntropyLoss): "));
  CHECK_THAT(r.err, Catch::Contains("the network (torch.nn.Sequential) cannot take the batch's 'input' of shape [16, 5]"));
  CHECK_THAT(r.err, Catch::Contains("cannot be multiplied (16x5 and 8x16)"));
  CHECK_THAT(r.err, !Catch::Contains("frame #"));
  CHECK(fs::exists(dir / "lighter_logs"));  // the run had started: its directory stays for inspection
}

TEST_CASE("SIGINT during fit finishes the step and exits 130") {
  TempDir dir;
  auto r = run_host({"fit", kSynthetic, "trainer::max_epochs=100000", "trainer::num_sanity_val_steps=0"}, dir.path(), {},
                    "timeout --preserve-status -s INT 4");
  CHECK(r.exit_code == 130);
  CHECK_THAT(r.err, Catch::Contains("stopped by a signal"));
}

TEST_CASE("the Fashion-MNIST demo config runs with a few batches") {
  LIGHTER_REQUIRE_TOOL(fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"), "dataset-fashion-mnist");
  TempDir dir;
  const std::string mlp = (fs::path(LIGHTER_SOURCE_DIR) / "examples/fashion_mnist/mlp.toml").string();
  auto fit = run_host({"fit", mlp, "trainer::max_epochs=1", "trainer::limit_train_batches=20", "trainer::limit_val_batches=2"},
                      dir.path());
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  CHECK(fs::exists(dir / "lighter_logs/version_0/checkpoints/last.ckpt"));
  CHECK_THAT(lighter::test::read_text(dir / "lighter_logs/version_0/metrics.csv"), Catch::Contains("val/metrics/Accuracy/epoch"));
  auto test = run_host({"test", mlp, "trainer::limit_test_batches=2", "--ckpt_path", "best"}, dir.path());
  CHECK(test.exit_code == 0);
  CHECK_THAT(test.out, Catch::Contains("test/metrics/Accuracy/epoch"));
}

TEST_CASE("bad data and monitor settings give one clear error") {
  TempDir dir;
  const std::string mlp = (fs::path(LIGHTER_SOURCE_DIR) / "examples/fashion_mnist/mlp.toml").string();
  auto missing = run_host({"fit", mlp, "vars::root=/nonexistent/fashion"}, dir.path());
  CHECK(missing.exit_code != 0);
  CHECK_THAT(missing.err, Catch::Contains("/nonexistent/fashion"));
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));

  auto monitor = run_host({"fit", kSynthetic, "trainer::callbacks=[{_target_=\"pytorch_lightning.callbacks.ModelCheckpoint\", monitor=\"val/acc\"}]"},
                          dir.path());
  CHECK(monitor.exit_code == 1);
  CHECK_THAT(monitor.err, Catch::Contains("val/acc"));
  CHECK_THAT(monitor.err, Catch::Contains("val/loss/epoch"));
}
