// What configs ported from Python Lighter need: every config error of a run at once, Lighter
// 0.0.x's layout named, a scheduler's `optimizer = "@model::optimizer"`, optimizer parameter
// groups, `_mode_`, Lightning's model summary and SimpleProfiler.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>

#include "support/host_runner.hpp"

using lighter::test::count_entries;
using lighter::test::read_text;
using lighter::test::run_host;
using lighter::test::TempDir;
namespace fs = std::filesystem;

namespace {
const std::string kSynthetic = (fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "synthetic.toml").string();

size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  size_t count = 0;
  for (size_t at = 0; at < text.size();) {
    if (text.compare(at, prefix.size(), prefix) == 0) ++count;
    const size_t end = text.find('\n', at);
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return count;
}
}  // namespace

TEST_CASE("a run reports every config error at once, exit 2, nothing written") {
  TempDir dir;
  auto run = run_host({"fit", kSynthetic, "model::optimizer::lrr=0.1", "trainer::max_epoch=3",
                       "data::train_dataloader::batch_size=\"16\"", "model::criterion::_target_=torch.nn.CrossEntropy",
                       "data::val_dataloader::dataset::num_sample=3"},
                      dir.path());
  INFO(run.err);
  CHECK(run.exit_code == 2);
  CHECK(count_lines_starting(run.err, "error: ") == 8);
  CHECK_THAT(run.err, Catch::Contains("model::optimizer::lrr: unknown parameter of torch.optim.Adam (did you mean 'lr'?)"));
  CHECK_THAT(run.err, Catch::Contains("trainer::max_epoch: unknown parameter of pytorch_lightning.Trainer"));
  CHECK_THAT(run.err, Catch::Contains("data::train_dataloader::batch_size: expected"));
  CHECK_THAT(run.err, Catch::Contains("model::criterion::_target_: unknown _target_ 'torch.nn.CrossEntropy'"));
  CHECK_THAT(run.err, Catch::Contains("data::val_dataloader::dataset::num_sample: unknown parameter"));
  // The test and predict loaders copy that dataset (a % macro), and with it the error.
  CHECK_THAT(run.err, Catch::Contains("data::test_dataloader::dataset::num_sample: unknown parameter"));
  CHECK_THAT(run.err, Catch::EndsWith("error: 7 config errors\n"));
  CHECK(count_entries(dir / "lighter_logs") == 0);

  // One error alone reads as before: one line.
  auto one = run_host({"fit", kSynthetic, "model::optimizer::lrr=0.1"}, dir.path());
  CHECK(one.exit_code == 2);
  CHECK(count_lines_starting(one.err, "error: ") == 1);

  // More than 20: the first 20, then how many more there were.
  std::vector<std::string> args{"fit", kSynthetic};
  for (int i = 0; i < 25; ++i) args.push_back("model::optimizer::bad" + std::to_string(i) + "=1");
  auto many = run_host(args, dir.path());
  CHECK(many.exit_code == 2);
  CHECK(count_lines_starting(many.err, "error: ") == 21);
  CHECK_THAT(many.err, Catch::Contains("error: stopped after 20 config errors"));
}

TEST_CASE("Lighter 0.0.x's system layout and system:: overrides name today's keys") {
  TempDir dir;
  auto override = run_host({"fit", kSynthetic, "system::optimizer::lr=0.001"}, dir.path());
  CHECK(override.exit_code == 2);
  CHECK_THAT(override.err, Catch::Contains("error: <override>: system::optimizer::lr:") &&
                               Catch::Contains("(today this is model::optimizer::lr)"));
  lighter::test::write_text(dir / "old.yaml",
                            "system:\n  _target_: lighter.System\n  model:\n    _target_: torch.nn.Identity\n"
                            "  dataloaders:\n    train: {}\ntrainer:\n  max_epochs: 1\n");
  auto old = run_host({"fit", (dir / "old.yaml").string()}, dir.path());
  CHECK(old.exit_code == 2);
  CHECK_THAT(old.err, Catch::Contains("old.yaml:2:3: system: this is Lighter 0.0.x's `system` layout") &&
                          Catch::Contains("system::model -> model::network") &&
                          Catch::Contains("system::dataloaders -> data::{train,val,test,predict}_dataloader"));
}

TEST_CASE("a scheduler's optimizer is the model's; parameter groups get their own options") {
  TempDir dir;
  const std::string scheduler =
      "model::scheduler={_target_=\"torch.optim.lr_scheduler.StepLR\", optimizer=\"@model::optimizer\", "
      "step_size=1, gamma=0.5}";
  const std::string groups =
      "model::optimizer::params=[{params=\"@model::network::_args_::0\", lr=0.1}, "
      "{params=\"@model::network::_args_::2\"}]";
  auto fit = run_host({"fit", kSynthetic, scheduler, groups}, dir.path());
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  const std::string metrics = read_text(dir / "lighter_logs/version_0/metrics.csv");
  INFO(metrics);
  // Group 1 has its own lr, group 2 the optimizer's 0.01; StepLR halves both after each epoch.
  CHECK_THAT(metrics, Catch::StartsWith("epoch,step,train/loss/epoch,train/optimizer/Adam/lr/group1/epoch,"
                                        "train/optimizer/Adam/lr/group2/epoch,"));
  CHECK_THAT(metrics, Catch::Contains(",0.1,0.01,") && Catch::Contains(",0.05,0.005,"));

  // Lighter's warmup without LambdaLR: SequentialLR of LinearLR and CosineAnnealingLR, each naming the optimizer.
  auto warmup = run_host(
      {"fit", kSynthetic, "trainer::max_epochs=4",
       "model::scheduler={_target_=\"torch.optim.lr_scheduler.SequentialLR\", optimizer=\"@model::optimizer\", "
       "milestones=[2], schedulers=[{_target_=\"torch.optim.lr_scheduler.LinearLR\", optimizer=\"@model::optimizer\", "
       "start_factor=0.5, total_iters=2}, {_target_=\"torch.optim.lr_scheduler.CosineAnnealingLR\", "
       "optimizer=\"@model::optimizer\", T_max=2}]}"},
      dir.path());
  INFO(warmup.err);
  REQUIRE(warmup.exit_code == 0);
  // LinearLR from half the lr for 2 epochs, then the cosine from the full lr: 0.005, 0.0075, 0.01, 0.005.
  CHECK_THAT(read_text(dir / "lighter_logs/version_1/metrics.csv"),
             Catch::Contains(",0.005,") && Catch::Contains(",0.0075,") && Catch::Contains(",0.01,"));

  auto other = run_host({"fit", kSynthetic, scheduler, "model::scheduler::optimizer=\"@model::network\""}, dir.path());
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.err, Catch::Contains("model::scheduler::optimizer: torch.optim.lr_scheduler.StepLR's optimizer is "
                                        "the model's own optimizer ('@model::optimizer'); got '@model::network'"));

  auto overlap = run_host({"fit", kSynthetic,
                           "model::optimizer::params=[{params=\"@model::network\"}, "
                           "{params=\"@model::network::_args_::2\", lr=0.5}]"},
                          dir.path());
  CHECK(overlap.exit_code == 2);
  CHECK_THAT(overlap.err, Catch::Contains("model::optimizer::params::1: some parameters appear in more than one "
                                          "parameter group"));
  auto unknown = run_host({"fit", kSynthetic, "model::optimizer::params=[{params=\"@model::network\", lrr=0.5}]"},
                          dir.path());
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("model::optimizer::params::0::lrr: unknown option of a torch.optim.Adam "
                                          "parameter group (did you mean 'lr'?)"));
  auto negative = run_host({"fit", kSynthetic, "model::optimizer::params=[{params=\"@model::network\", lr=-1}]"},
                           dir.path());
  CHECK(negative.exit_code == 2);
  CHECK_THAT(negative.err, Catch::Contains("model::optimizer::params::0::lr: expected a number >= 0"));
}

TEST_CASE("_mode_ debug logs a component's build; the model summary and the simple profiler print") {
  TempDir dir;
  auto fit = run_host({"fit", kSynthetic, "trainer::max_epochs=1", "model::criterion::_mode_=debug",
                       "trainer::profiler=simple"},
                      dir.path());
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  const std::string all = fit.out + fit.err;
  CHECK_THAT(all, Catch::Contains("_mode_ = debug: built model::criterion = torch.nn.CrossEntropyLoss"));
  // Lightning's ModelSummary: 8*16+16 + 16*3+3 = 195 parameters.
  CHECK_THAT(all, Catch::Contains("  | Name      | Type             | Params | Mode ") &&
                      Catch::Contains("0 | network   | Sequential       | 195    | train") &&
                      Catch::Contains("195       Trainable params") && Catch::Contains("0         Non-trainable params") &&
                      Catch::Contains("0.001     Total estimated model params size (MB)"));
  CHECK_THAT(all, Catch::Contains("FIT Profiler Report") && Catch::Contains("|  run_training_batch") &&
                      Catch::Contains("[LightningModule]SupervisedModule.training_step") &&
                      Catch::Contains("|  Total "));

  auto quiet = run_host({"fit", kSynthetic, "trainer::max_epochs=1", "trainer::enable_model_summary=false"}, dir.path());
  REQUIRE(quiet.exit_code == 0);
  CHECK_THAT(quiet.out + quiet.err, !Catch::Contains("Trainable params") && !Catch::Contains("Profiler Report"));

  auto advanced = run_host({"fit", kSynthetic, "trainer::profiler=advanced"}, dir.path());
  CHECK(advanced.exit_code == 2);
  CHECK_THAT(advanced.err, Catch::Contains("trainer::profiler: expected \"simple\" or null"));
  auto callable = run_host({"fit", kSynthetic, "model::criterion::_mode_=callable"}, dir.path());
  CHECK(callable.exit_code == 2);
  CHECK_THAT(callable.err, Catch::Contains("model::criterion::_mode_: `_mode_ = \"callable\"`"));
}
