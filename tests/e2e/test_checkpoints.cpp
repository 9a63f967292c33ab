// Checkpoints through the real binary: layout, resume equivalence, --ckpt_path, bad files.
#include "engine/checkpoint.hpp"  // torch first: glog's CHECK must not replace Catch's
#undef CHECK

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/host_runner.hpp"

using lighter::test::run_host;
using lighter::test::TempDir;
using lighter::test::write_text;
namespace fs = std::filesystem;

namespace {
const std::string kSynthetic = (fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "synthetic.toml").string();

// Dropout (RNG), a step schedule and an accumulation make resuming non-trivial.
const std::vector<std::string> kHarder = {
    "model::network::_args_::1={_target_=\"torch.nn.Dropout\", p=0.3}",
    "model::scheduler={_target_=\"torch.optim.lr_scheduler.StepLR\", step_size=1, gamma=0.5}",
    "trainer::accumulate_grad_batches=3",
};

std::vector<std::string> fit_args(std::vector<std::string> extra) {
  std::vector<std::string> args = {"fit", kSynthetic};
  args.insert(args.end(), kHarder.begin(), kHarder.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

lighter::Dict state_of(const fs::path& checkpoint) {
  return lighter::Dict::from_ivalue(lighter::host::read_checkpoint(checkpoint).at("state_dict"));
}

bool bit_identical(const lighter::Dict& a, const lighter::Dict& b) {
  if (a.keys() != b.keys()) return false;
  for (const auto& [key, value] : a)
    if (!torch::equal(value.toTensor(), b.at(key).toTensor())) return false;
  return true;
}
}  // namespace

TEST_CASE("a fit stopped after epoch 1 of 3 and resumed ends with the same weights, bit for bit") {
  TempDir unbroken, resumed;
  auto full = run_host(fit_args({"trainer::max_epochs=3"}), unbroken.path());
  INFO(full.err);
  REQUIRE(full.exit_code == 0);
  auto first = run_host(fit_args({"trainer::max_epochs=1"}), resumed.path());
  REQUIRE(first.exit_code == 0);
  auto rest = run_host(fit_args({"trainer::max_epochs=3", "--ckpt_path", "last"}), resumed.path());
  INFO(rest.err);
  REQUIRE(rest.exit_code == 0);
  CHECK_THAT(rest.err, Catch::Contains("resuming at epoch 1 (step 3"));
  const auto a = state_of(unbroken / "lighter_logs/version_0/checkpoints/last.ckpt");
  const auto b = state_of(resumed / "lighter_logs/version_1/checkpoints/last.ckpt");
  CHECK(bit_identical(a, b));
  // The check can fail: a run with one more epoch differs.
  auto longer = run_host(fit_args({"trainer::max_epochs=4"}), unbroken.path());
  REQUIRE(longer.exit_code == 0);
  CHECK_FALSE(bit_identical(a, state_of(unbroken / "lighter_logs/version_1/checkpoints/last.ckpt")));
}

TEST_CASE("a checkpoint has Lightning's layout") {
  TempDir dir;
  REQUIRE(run_host(fit_args({"trainer::max_epochs=2"}), dir.path()).exit_code == 0);
  const fs::path run = dir / "lighter_logs/version_0";
  const auto checkpoint = lighter::host::read_checkpoint(run / "checkpoints/last.ckpt");
  for (const char* key : {"epoch", "global_step", "pytorch-lightning_version", "state_dict", "optimizer_states", "lr_schedulers",
                          "callbacks", "hyper_parameters", "loops"})
    CHECK(checkpoint.contains(key));
  CHECK(checkpoint.at("epoch").toInt() == 1);
  CHECK(checkpoint.at("global_step").toInt() == 6);  // 8 batches / 3 accumulated -> 3 steps an epoch
  const auto state = lighter::Dict::from_ivalue(checkpoint.at("state_dict"));
  CHECK(state.keys() == std::vector<std::string>{"network.0.weight", "network.0.bias", "network.2.weight", "network.2.bias"});
  const auto config = lighter::Dict::from_ivalue(lighter::Dict::from_ivalue(checkpoint.at("hyper_parameters")).at("config"));
  CHECK(config.contains("model"));
  CHECK(fs::exists(run / "checkpoints/best.ckpt"));
  CHECK(fs::exists(run / "metrics.csv"));
}

TEST_CASE("validate, test and predict load weights from --ckpt_path") {
  TempDir dir;
  REQUIRE(run_host({"fit", kSynthetic}, dir.path()).exit_code == 0);
  auto from_last = run_host({"test", kSynthetic, "--ckpt_path", "last"}, dir.path());
  CHECK(from_last.exit_code == 0);
  auto fresh = run_host({"test", kSynthetic}, dir.path());
  CHECK(fresh.exit_code == 0);
  CHECK(from_last.out != fresh.out);  // trained weights give other results than fresh ones
  auto best = run_host({"validate", kSynthetic, "--ckpt_path", "best"}, dir.path());
  CHECK(best.exit_code == 0);
  auto path = run_host({"predict", kSynthetic, "--ckpt_path", (dir / "lighter_logs/version_0/checkpoints/last.ckpt").string()},
                       dir.path());
  CHECK(path.exit_code == 0);
  auto weights_only = run_host({"fit", kSynthetic, "--ckpt_path", "last", "--weights_only"}, dir.path());
  CHECK(weights_only.exit_code == 0);
  CHECK_THAT(weights_only.err, !Catch::Contains("resuming at epoch"));
}

TEST_CASE("bad checkpoints give one clear error, before a run directory is made") {
  TempDir dir;
  auto none = run_host({"test", kSynthetic, "--ckpt_path", "last"}, dir.path());
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, Catch::Contains("error: ckpt_path last: no run under"));
  auto missing = run_host({"test", kSynthetic, "--ckpt_path", "nowhere.ckpt"}, dir.path());
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("error: checkpoint nowhere.ckpt: does not exist"));
  write_text(dir / "garbage.ckpt", "this is not a checkpoint");
  auto corrupt = run_host({"test", kSynthetic, "--ckpt_path", (dir / "garbage.ckpt").string()}, dir.path());
  CHECK(corrupt.exit_code == 2);
  CHECK_THAT(corrupt.err, Catch::Contains("garbage.ckpt: is not a torch checkpoint"));
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
  REQUIRE(run_host({"fit", kSynthetic, "trainer::max_epochs=1"}, dir.path()).exit_code == 0);
  auto other_net = run_host({"test", kSynthetic, "vars::hidden=7", "--ckpt_path", "last"}, dir.path());
  CHECK(other_net.exit_code == 2);
  CHECK_THAT(other_net.err, Catch::Contains("last.ckpt: 'network.0.weight' has shape [16, 8] but the model's is [7, 8]"));
  CHECK(lighter::test::count_entries(dir / "lighter_logs") == 1);
}
