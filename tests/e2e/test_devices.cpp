// trainer::accelerator, devices and precision through the real binary: Lightning's spellings,
// the errors for what one process cannot do, bf16-mixed and 64-true on the CPU, and (where CUDA
// is available) a fit on the GPU whose checkpoint loads on the CPU.
#include "engine/checkpoint.hpp"  // torch first: glog's CHECK must not replace Catch's
#undef CHECK

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/host_runner.hpp"
#include <lighter/torch_compat.hpp>

using lighter::Dict;
using lighter::host::read_checkpoint;
using lighter::host::write_checkpoint;
using lighter::test::count_entries;
using lighter::test::run_host;
using lighter::test::TempDir;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {
const std::string kSynthetic = (fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "synthetic.toml").string();

lighter::test::HostResult fit(const TempDir& dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {"fit", kSynthetic};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_host(args, dir.path());
}

// `override` is refused before anything runs: exit code 2, one error naming `key` and `what`.
void check_refused(const std::string& override, const std::string& key, const std::string& what) {
  TempDir dir;
  auto run = fit(dir, {override});
  INFO(override << "\n" << run.err);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Contains("error:") && Contains(key) && Contains(what));
  CHECK(count_entries(dir / "lighter_logs") == 0);
}

Dict checkpoint_of(const TempDir& dir, int version = 0) {
  return read_checkpoint(dir / ("lighter_logs/version_" + std::to_string(version)) / "checkpoints/last.ckpt");
}

Dict weights_of(const Dict& checkpoint) { return Dict::from_ivalue(checkpoint.at("state_dict")); }

double max_difference(const Dict& a, const Dict& b) {
  REQUIRE(a.keys() == b.keys());
  double worst = 0;
  for (const auto& [key, value] : a)
    worst = std::max(worst, (value.toTensor().to(torch::kDouble) - b.at(key).toTensor().to(torch::kDouble)).abs().max().item<double>());
  return worst;
}
}  // namespace

TEST_CASE("devices and accelerator: what one CPU process cannot do is a config error before anything runs", "[devices]") {
  if (torch::cuda::is_available()) {
    WARN("skipped: CUDA is available, so the no-CUDA errors cannot be checked here");
    return;
  }
  check_refused("trainer::accelerator=\"cuda\"", "trainer::accelerator", "no CUDA device is available");
  check_refused("trainer::accelerator=\"gpu\"", "trainer::accelerator", "no CUDA device is available");
  check_refused("trainer::devices=-1", "trainer::devices", "every GPU");
  check_refused("trainer::devices=\"0,1\"", "trainer::devices", "selects GPUs");
  check_refused("trainer::devices=[0]", "trainer::devices", "selects GPUs");
  check_refused("trainer::devices=0", "trainer::devices", "a device count >= 1");
  check_refused("trainer::devices=[]", "trainer::devices", "empty");
  check_refused("trainer::devices=\"two\"", "trainer::devices", "cannot read \"two\"");
  check_refused("trainer::accelerator=\"tpu\"", "trainer::accelerator", "cuda");
  check_refused("trainer::precision=\"16-mixed\"", "trainer::precision", "use \"bf16-mixed\"");
  check_refused("trainer::precision=16", "trainer::precision", "needs a CUDA device");
  check_refused("trainer::precision=\"8-mixed\"", "trainer::precision", "\"bf16-mixed\"");
  check_refused("trainer::precision=true", "trainer::precision", "expected");
}

TEST_CASE("devices and precision: Lightning's spellings for one CPU process run", "[devices]") {
  for (const char* override :
       {"trainer::devices=1", "trainer::devices=\"1\"", "trainer::devices=\"auto\"", "trainer::accelerator=\"cpu\"",
        "trainer::precision=32", "trainer::precision=\"32\"", "trainer::precision=\"bf16\"", "trainer::precision=64",
        "trainer::benchmark=true"}) {
    TempDir dir;
    auto run = fit(dir, {std::string(override), "trainer::fast_dev_run=true"});
    INFO(override << "\n" << run.err);
    CHECK(run.exit_code == 0);
  }
}

TEST_CASE("bf16-mixed on the CPU trains float32 weights close to a 32-true run", "[devices][precision]") {
  TempDir full, mixed;
  auto a = fit(full, {"trainer::max_epochs=2"});
  auto b = fit(mixed, {"trainer::max_epochs=2", "trainer::precision=\"bf16-mixed\""});
  INFO(a.err << "\n" << b.err);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  const Dict wa = weights_of(checkpoint_of(full)), wb = weights_of(checkpoint_of(mixed));
  for (const auto& [key, value] : wb) CHECK(value.toTensor().scalar_type() == torch::kFloat);  // master weights stay float32
  const double difference = max_difference(wa, wb);
  INFO("largest weight difference " << difference);
  CHECK(difference > 0);     // autocast did run in bfloat16
  CHECK(difference < 0.05);  // and trained the same model
}

TEST_CASE("64-true trains float64 weights and resumes from its checkpoint exactly", "[devices][precision]") {
  TempDir unbroken, resumed;
  auto full = fit(unbroken, {"trainer::max_epochs=2", "trainer::precision=\"64-true\""});
  INFO(full.err);
  REQUIRE(full.exit_code == 0);
  const Dict weights = weights_of(checkpoint_of(unbroken));
  for (const auto& [key, value] : weights) CHECK(value.toTensor().scalar_type() == torch::kDouble);

  REQUIRE(fit(resumed, {"trainer::max_epochs=1", "trainer::precision=\"64-true\""}).exit_code == 0);
  auto rest = fit(resumed, {"trainer::max_epochs=2", "trainer::precision=\"64-true\"", "--ckpt_path", "last"});
  INFO(rest.err);
  REQUIRE(rest.exit_code == 0);
  CHECK(max_difference(weights, weights_of(checkpoint_of(resumed, 1))) == 0);
}

TEST_CASE("a checkpoint's loss-scaler and CUDA RNG states are checked before a resume", "[devices][precision]") {
  TempDir dir;
  REQUIRE(fit(dir, {"trainer::max_epochs=1"}).exit_code == 0);
  const fs::path good = dir / "lighter_logs/version_0/checkpoints/last.ckpt";
  auto refused = [&](const std::string& name, auto change, const std::string& what) {
    Dict checkpoint = read_checkpoint(good);
    change(checkpoint);
    const fs::path file = dir / name;
    write_checkpoint(file, checkpoint);
    auto run = fit(dir, {"trainer::max_epochs=2", "--ckpt_path", file.string()});
    INFO(run.err);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("error: checkpoint " + file.string()) && Contains(what));
  };
  const Dict scaler{{"scale", -1.0}, {"growth_factor", 2.0}, {"backoff_factor", 0.5}, {"growth_interval", int64_t{2000}},
                    {"_growth_tracker", int64_t{0}}};
  refused("scaler.ckpt", [&](Dict& c) { c.set("MixedPrecision", scaler.to_ivalue()); }, "MixedPrecision: the loss scaler's scale");
  refused("rng.ckpt", [](Dict& c) {
    Dict lighter = Dict::from_ivalue(c.at("lighter"));
    lighter.set("cuda_rng_state", torch::zeros({4}, torch::kFloat));
    c.set("lighter", lighter.to_ivalue());
  }, "cuda_rng_state");
  CHECK(count_entries(dir / "lighter_logs") == 1);  // refused before a run directory was made
}

TEST_CASE("Adam's foreach kernels train the loop's weights bit for bit on the CPU; fused needs LibTorch 2.x", "[devices][optimizer]") {
  TempDir loop, foreach;
  auto a = fit(loop, {"trainer::max_epochs=2"});
  auto b = fit(foreach, {"trainer::max_epochs=2", "model::optimizer::foreach=true", "model::optimizer::weight_decay=0.01"});
  INFO(a.err << "\n" << b.err);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(max_difference(weights_of(checkpoint_of(loop)), weights_of(checkpoint_of(foreach))) > 0);  // weight decay
  TempDir same;
  REQUIRE(fit(same, {"trainer::max_epochs=2", "model::optimizer::foreach=true"}).exit_code == 0);
  CHECK(max_difference(weights_of(checkpoint_of(loop)), weights_of(checkpoint_of(same))) == 0);
  if (!lighter::compat::kHasFusedAdam)
    check_refused("model::optimizer::fused=true", "model::optimizer::fused", "LibTorch 2.x");
  check_refused("model::optimizer::fused=1", "model::optimizer::fused", "expected");
}

TEST_CASE("on_device data loaders train the same weights bit for bit as loading every batch", "[devices][data]") {
  TempDir loaded, resident;
  auto a = fit(loaded, {"trainer::max_epochs=2"});
  auto b = fit(resident, {"trainer::max_epochs=2", "data::train_dataloader::on_device=true",
                          "data::val_dataloader::on_device=true"});
  INFO(a.err << "\n" << b.err);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  const Dict first = checkpoint_of(loaded), second = checkpoint_of(resident);
  CHECK(max_difference(weights_of(first), weights_of(second)) == 0);
  auto text_of = [](const fs::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string metrics = text_of(loaded / "lighter_logs/version_0/metrics.csv");
  CHECK_THAT(metrics, Contains("val/loss/epoch"));
  CHECK(text_of(resident / "lighter_logs/version_0/metrics.csv") == metrics);  // train and val losses alike
  TempDir refused;
  auto run = fit(refused, {"data::train_dataloader::on_device=true", "data::train_dataloader::num_workers=2"});
  INFO(run.err);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Contains("data::train_dataloader::on_device") && Contains("num_workers = 0"));
}

TEST_CASE("CUDA: foreach (the default there) and fused Adam train what the loop trains", "[devices][cuda][optimizer]") {
  if (!torch::cuda::is_available()) {
    WARN("skipped: no CUDA");
    return;
  }
  TempDir loop, foreach, fused;
  const std::vector<std::string> gpu = {"trainer::max_epochs=2", "trainer::accelerator=\"gpu\"", "trainer::deterministic=true"};
  auto with = [&](std::string extra) {
    auto args = gpu;
    args.push_back(std::move(extra));
    return args;
  };
  REQUIRE(fit(loop, with("model::optimizer::foreach=false")).exit_code == 0);
  TempDir resident;  // the data kept on the GPU: the same batches, so the same weights up to rounding
  REQUIRE(fit(resident, with("data::train_dataloader::on_device=true")).exit_code == 0);
  CHECK(max_difference(weights_of(checkpoint_of(loop)), weights_of(checkpoint_of(resident))) < 1e-3);
  REQUIRE(fit(foreach, with("model::optimizer::foreach=null")).exit_code == 0);
  const double foreach_difference = max_difference(weights_of(checkpoint_of(loop)), weights_of(checkpoint_of(foreach)));
  INFO("foreach vs loop " << foreach_difference);
  CHECK(foreach_difference < 1e-3);  // rounding only: the steps move weights by ~0.1
  if (lighter::compat::kHasFusedAdam) {
    REQUIRE(fit(fused, with("model::optimizer::fused=true")).exit_code == 0);
    const double fused_difference = max_difference(weights_of(checkpoint_of(loop)), weights_of(checkpoint_of(fused)));
    INFO("fused vs loop " << fused_difference);
    CHECK(fused_difference < 1e-3);
  }
}

TEST_CASE("CUDA: a fit on the GPU with bf16-mixed writes a checkpoint the CPU loads and resumes", "[devices][cuda]") {
  if (!torch::cuda::is_available()) {
    WARN("skipped: no CUDA");
    return;
  }
  TempDir gpu, cpu;
  auto run = fit(gpu, {"trainer::max_epochs=1", "trainer::accelerator=\"gpu\"", "trainer::precision=\"bf16-mixed\""});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const Dict checkpoint = checkpoint_of(gpu);
  for (const auto& [key, value] : weights_of(checkpoint)) CHECK(value.toTensor().is_cpu());
  CHECK(Dict::from_ivalue(checkpoint.at("lighter")).contains("cuda_rng_state"));
  const fs::path file = gpu / "lighter_logs/version_0/checkpoints/last.ckpt";
  auto resumed = fit(cpu, {"trainer::max_epochs=2", "trainer::accelerator=\"cpu\"", "--ckpt_path", file.string()});
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  auto scaled = fit(gpu, {"trainer::max_epochs=1", "trainer::accelerator=\"cuda\"", "trainer::precision=\"16-mixed\""});
  INFO(scaled.err);
  REQUIRE(scaled.exit_code == 0);
  CHECK(checkpoint_of(gpu, 1).contains("MixedPrecision"));
}
