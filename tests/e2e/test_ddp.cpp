// DDP through the real binary on this machine (Gloo on the CPU): two ranks against one process,
// lighter's launcher against torchrun and two "nodes", resume, world-size changes, faults.
#include "engine/checkpoint.hpp"  // torch first: glog's CHECK must not replace Catch's
#undef CHECK

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "support/host_runner.hpp"

using lighter::Dict;
using lighter::test::count_entries;
using lighter::test::HostResult;
using lighter::test::read_text;
using lighter::test::run_host;
using lighter::test::TempDir;
using lighter::test::write_text;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {
const std::string kSynthetic = (fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "synthetic.toml").string();

// 128 training samples, 64 for validation; metrics make the epoch values depend on every rank.
const std::vector<std::string> kMetrics = {
    "model::train_metrics={_target_=\"torchmetrics.AUROC\", task=\"multiclass\", num_classes=3}",
    "model::val_metrics={_target_=\"torchmetrics.F1Score\", task=\"multiclass\", num_classes=3, average=\"macro\"}",
};
const std::vector<std::string> kTwoRanks = {"trainer::strategy=\"ddp\"", "trainer::devices=2"};

HostResult fit(const TempDir& dir, std::vector<std::vector<std::string>> parts, const std::map<std::string, std::string>& env = {},
               const std::string& wrapper = "") {
  std::vector<std::string> args = {"fit", kSynthetic};
  for (const auto& part : parts) args.insert(args.end(), part.begin(), part.end());
  return run_host(args, dir.path(), env, wrapper);
}

Dict checkpoint_of(const TempDir& dir, int version = 0, const std::string& name = "last.ckpt") {
  return lighter::host::read_checkpoint(dir / ("lighter_logs/version_" + std::to_string(version)) / "checkpoints" / name);
}
Dict weights_of(const Dict& checkpoint) { return Dict::from_ivalue(checkpoint.at("state_dict")); }
Dict metrics_of(const Dict& checkpoint) {
  return Dict::from_ivalue(Dict::from_ivalue(checkpoint.at("lighter")).at("callback_metrics"));
}

double max_difference(const Dict& a, const Dict& b) {
  REQUIRE(a.keys() == b.keys());
  double worst = 0;
  for (const auto& [key, value] : a) {
    const auto x = value.isTensor() ? value.toTensor().to(torch::kDouble) : torch::tensor(value.toDouble(), torch::kDouble);
    const auto y = b.at(key).isTensor() ? b.at(key).toTensor().to(torch::kDouble) : torch::tensor(b.at(key).toDouble(), torch::kDouble);
    worst = std::max(worst, (x - y).abs().max().item<double>());
  }
  return worst;
}

bool bit_identical(const Dict& a, const Dict& b) {
  if (a.keys() != b.keys()) return false;
  for (const auto& [key, value] : a)
    if (!torch::equal(value.toTensor(), b.at(key).toTensor())) return false;
  return true;
}

// Under CI every tool a test needs must be there.
bool require_python_torch() {
  if (std::system("/usr/bin/python3 -c 'import torch.distributed.run' >/dev/null 2>&1") == 0) return true;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") FAIL("python3 with torch.distributed (python3-torch) is needed under CI=true");
  WARN("skipped: python3 -m torch.distributed.run is not available (install python3-torch)");
  return false;
}

std::string script(const TempDir& dir, const std::string& name, const std::string& body) {
  const fs::path file = dir / name;
  write_text(file, "#!/bin/sh\n" + body);
  fs::permissions(file, fs::perms::owner_all);
  return file.string();
}
}  // namespace

TEST_CASE("DDP: two ranks with batch 2x16 train the weights one process trains with batch 32", "[ddp]") {
  TempDir one, two;
  auto single = fit(one, {kMetrics, {"data::train_dataloader::batch_size=32"}});
  INFO(single.err);
  REQUIRE(single.exit_code == 0);
  auto ddp = fit(two, {kMetrics, kTwoRanks, {"data::train_dataloader::batch_size=16", "data::val_dataloader::batch_size=16"}});
  INFO(ddp.err);
  REQUIRE(ddp.exit_code == 0);
  CHECK_THAT(ddp.err, Contains("started local ranks 1 to 1"));
  // One run directory, one metrics.csv, written by rank 0; rank 1 logs warnings only.
  CHECK(count_entries(two / "lighter_logs") == 1);
  CHECK(fs::exists(two / "lighter_logs/version_0/metrics.csv"));
  CHECK(read_text(two / "lighter_logs/version_0/metrics.csv") .find("train/metrics/AUROC/epoch") != std::string::npos);
  const Dict a = checkpoint_of(one), b = checkpoint_of(two);
  const double weights = max_difference(weights_of(a), weights_of(b));
  INFO("largest weight difference " << weights);
  CHECK(weights < 1e-5);
  CHECK(b.at("global_step").toInt() == a.at("global_step").toInt());
  // Epoch values over all ranks: the loss means and the metrics are the single-process ones.
  // (Step values stay rank 0's own, as Lightning logs them without sync_dist.)
  auto epoch_values = [](const Dict& all) {
    Dict out;
    for (const auto& [key, value] : all)
      if (key.size() > 6 && key.compare(key.size() - 6, 6, "/epoch") == 0) out.set(key, value);
    return out;
  };
  const Dict ma = epoch_values(metrics_of(a)), mb = epoch_values(metrics_of(b));
  CHECK(ma.keys() == mb.keys());
  CHECK(ma.contains("val/metrics/F1Score/epoch"));
  CHECK(max_difference(ma, mb) < 1e-5);
  // The check can fail: the same two ranks on half the data per step train other weights.
  TempDir half;
  REQUIRE(fit(half, {kMetrics, kTwoRanks, {"data::train_dataloader::batch_size=8"}}).exit_code == 0);
  CHECK(max_difference(weights_of(a), weights_of(checkpoint_of(half))) > 1e-3);
}

TEST_CASE("DDP: gradient accumulation, clipping and non-finite skips act on the averaged gradients", "[ddp]") {
  const std::vector<std::string> harder = {"trainer::accumulate_grad_batches=2", "trainer::gradient_clip_val=0.5",
                                           "trainer::skip_nonfinite_grad=true"};
  TempDir one, two;
  auto single = fit(one, {harder, {"data::train_dataloader::batch_size=32"}});
  INFO(single.err);
  REQUIRE(single.exit_code == 0);
  auto ddp = fit(two, {harder, kTwoRanks, {"data::train_dataloader::batch_size=16"}});
  INFO(ddp.err);
  REQUIRE(ddp.exit_code == 0);
  CHECK(max_difference(weights_of(checkpoint_of(one)), weights_of(checkpoint_of(two))) < 1e-5);
}

TEST_CASE("DDP: torchrun and two nodes on 127.0.0.1 train what lighter's launcher trains", "[ddp]") {
  TempDir launcher;
  auto reference = fit(launcher, {kTwoRanks});
  INFO(reference.err);
  REQUIRE(reference.exit_code == 0);
  const Dict expected = weights_of(checkpoint_of(launcher));

  SECTION("torchrun --no_python") {
    if (!require_python_torch()) return;
    TempDir dir;
    auto run = fit(dir, {kTwoRanks}, {{"OMP_NUM_THREADS", "1"}},
                   // --redirects/--tee 1: Debian's torch 1.13 on Python 3.11 fails on their default "0".
                   "/usr/bin/python3 -m torch.distributed.run --standalone --nproc_per_node=2 --redirects 1 --tee 1 "
                   "--no_python");
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(count_entries(dir / "lighter_logs") == 1);
    CHECK(bit_identical(expected, weights_of(checkpoint_of(dir))));
  }
  SECTION("num_nodes = 2, devices = 1: one process per node, NODE_RANK set by hand") {
    TempDir dir;
    const std::string both = script(dir, "two_nodes.sh",
                                    "NODE_RANK=1 \"$@\" > node1.log 2>&1 &\n"
                                    "other=$!\n"
                                    "NODE_RANK=0 \"$@\"; rc=$?\n"
                                    "wait $other; rc1=$?\n"
                                    "cat node1.log >&2\n"
                                    "[ $rc -ne 0 ] && exit $rc\nexit $rc1\n");
    auto run = fit(dir, {{"trainer::strategy=\"ddp\"", "trainer::num_nodes=2", "trainer::devices=1"}},
                   {{"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29731"}}, both);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(count_entries(dir / "lighter_logs") == 1);
    CHECK(bit_identical(expected, weights_of(checkpoint_of(dir))));
  }
}

TEST_CASE("DDP: a resumed run ends bit for bit where the unbroken one does; checkpoints move between world sizes", "[ddp]") {
  const std::vector<std::string> dropout = {"model::network::_args_::1={_target_=\"torch.nn.Dropout\", p=0.3}"};
  TempDir unbroken, resumed;
  auto full = fit(unbroken, {dropout, kTwoRanks, {"trainer::max_epochs=3"}});
  INFO(full.err);
  REQUIRE(full.exit_code == 0);
  REQUIRE(fit(resumed, {dropout, kTwoRanks, {"trainer::max_epochs=1"}}).exit_code == 0);
  auto rest = fit(resumed, {dropout, kTwoRanks, {"trainer::max_epochs=3", "--ckpt_path", "last"}});
  INFO(rest.err);
  REQUIRE(rest.exit_code == 0);
  const Dict expected = weights_of(checkpoint_of(unbroken));
  CHECK(bit_identical(expected, weights_of(checkpoint_of(resumed, 1))));

  // Two ranks' checkpoint into one process, and one process's into two ranks: weights and
  // optimizer state load, training goes on from the next epoch.
  auto to_one = fit(resumed, {dropout, {"trainer::max_epochs=4", "--ckpt_path",
                                        (resumed / "lighter_logs/version_1/checkpoints/last.ckpt").string()}});
  INFO(to_one.err);
  REQUIRE(to_one.exit_code == 0);
  CHECK_THAT(to_one.err, Contains("resuming at epoch 3"));
  CHECK(checkpoint_of(resumed, 2).at("epoch").toInt() == 3);
  auto to_two = fit(resumed, {dropout, kTwoRanks, {"trainer::max_epochs=5", "--ckpt_path",
                                                   (resumed / "lighter_logs/version_2/checkpoints/last.ckpt").string()}});
  INFO(to_two.err);
  REQUIRE(to_two.exit_code == 0);
  CHECK(checkpoint_of(resumed, 3).at("epoch").toInt() == 4);
}

TEST_CASE("DDP: a killed rank ends the job with one error and a non-zero exit, not a hang", "[ddp][faults]") {
  TempDir dir;
  // Kills local rank 1 (the launcher's child) once training is under way.
  const std::string killer = script(dir, "kill_rank1.sh",
                                    "\"$@\" & job=$!\n"
                                    "child=\n"
                                    "while [ -z \"$child\" ]; do\n"
                                    "  for s in /proc/[0-9]*/stat; do read -r pid comm state ppid rest < $s 2>/dev/null; [ \"$ppid\" = \"$job\" ] && child=$pid; done\n"
                                    "  sleep 0.1\n"
                                    "done\n"
                                    "while [ ! -d lighter_logs/version_0 ]; do sleep 0.1; done\n"
                                    "sleep 1; kill -9 $child\n"
                                    "wait $job\n");
  const auto start = std::chrono::steady_clock::now();
  auto run = fit(dir, {kTwoRanks, {"trainer::max_epochs=100000", "trainer::strategy={_target_=\"pytorch_lightning.strategies.DDPStrategy\", timeout=30}"}},
                 {}, killer);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(run.err);
  CHECK(run.exit_code == 1);
  CHECK(seconds < 60);
  // "error: DDP: ..." or, when the kill lands in a callback's barrier (ModelCheckpoint), the same
  // DDP message after "error: plugin ...: ModelCheckpoint ... failed in on_validation_end ...: ".
  CHECK_THAT(run.err, Contains("error: ") && Contains("DDP: ") && Contains("another rank"));
  CHECK(run.err.find("terminate called") == std::string::npos);
  CHECK(run.err.find("uncaught") == std::string::npos);
}

TEST_CASE("DDP: SIGINT to the launcher stops every rank after the same step and writes last.ckpt once", "[ddp][faults]") {
  TempDir dir;
  const std::string interrupt = script(dir, "interrupt.sh",
                                       "\"$@\" & job=$!\n"
                                       "while [ ! -d lighter_logs/version_0 ]; do sleep 0.1; done\n"
                                       "sleep 2; kill -INT $job\n"
                                       "wait $job\n");
  auto run = fit(dir, {kTwoRanks, {"trainer::max_epochs=100000"}}, {}, interrupt);
  INFO(run.err);
  CHECK(run.exit_code == 130);
  CHECK_THAT(run.err, Contains("interrupted: saved"));
  const Dict last = checkpoint_of(dir);
  CHECK(last.at("global_step").toInt() > 0);
  CHECK(count_entries(dir / "lighter_logs/version_0/checkpoints") >= 1);
}

TEST_CASE("DDP: what cannot run is a config error before anything starts", "[ddp]") {
  auto refused = [](std::vector<std::string> overrides, const std::map<std::string, std::string>& env, const std::string& what) {
    TempDir dir;
    auto run = fit(dir, {overrides}, env);
    INFO(run.err);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("error:") && Contains(what));
    CHECK(count_entries(dir / "lighter_logs") == 0);
  };
  refused({"trainer::strategy=\"ddp_spawn\""}, {}, "use \"ddp\" instead");
  refused({"trainer::strategy=\"fsdp\""}, {}, "trainer::strategy");
  refused({"trainer::num_nodes=0"}, {}, "trainer::num_nodes");
  refused({"trainer::devices=-1"}, {}, "every GPU");
  refused({"trainer::strategy={_target_=\"pytorch_lightning.strategies.DDPStrategy\", timeout=0}"}, {}, "timeout");
  refused({"trainer::strategy={_target_=\"pytorch_lightning.strategies.DDPStrategy\", process_group_backend=\"nccl\"}"}, {},
          "only Gloo");
  refused(kTwoRanks, {{"RANK", "0"}, {"GROUP_RANK", "0"}, {"LOCAL_RANK", "0"}, {"LOCAL_WORLD_SIZE", "4"}, {"WORLD_SIZE", "4"}},
          "torchrun started 4 processes");
  refused(kTwoRanks, {{"LOCAL_RANK", "x"}}, "LOCAL_RANK='x'");
}

TEST_CASE("DDP: lighter's two ranks end with the weights PyTorch's DistributedDataParallel trains", "[ddp][python]") {
  if (!require_python_torch()) return;
  TempDir dir;
  const std::string reference = (fs::path(LIGHTER_SOURCE_DIR) / "tests/e2e/ddp_reference.py").string();
  const int python = std::system(("cd '" + dir.path().string() + "' && OMP_NUM_THREADS=1 /usr/bin/python3 '" + reference + "' . 29733 " +
                                  ">python.log 2>&1").c_str());
  INFO(read_text(dir / "python.log"));
  REQUIRE(python == 0);
  auto run = run_host({"fit", (fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "ddp_csv.toml").string(), "--ckpt_path",
                       (dir / "init.ckpt").string(), "--weights_only"},
                      dir.path());
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  // Python compares (its own torch.load reads lighter's checkpoint): "<from reference> <from init>".
  const std::string compare = "cd '" + dir.path().string() + "' && /usr/bin/python3 '" + reference +
                              "' --compare . lighter_logs/version_0/checkpoints/last.ckpt > compare.txt 2>&1";
  const int compared = std::system(compare.c_str());
  const std::string differences = read_text(dir / "compare.txt");
  INFO("largest differences from PyTorch's DDP and from the initial weights: " << differences);
  REQUIRE(compared == 0);
  double from_reference = 1, from_init = 0;
  REQUIRE(std::sscanf(differences.c_str(), "%lf %lf", &from_reference, &from_init) == 2);
  CHECK(from_reference < 1e-5);
  CHECK(from_init > 1e-2);  // and training did move the weights
}

TEST_CASE("DDP: predict hands every sample to one rank and CsvWriter merges the ranks' files into one", "[ddp][writers]") {
  TempDir dir;
  const std::string odd = "data::val_dataloader::dataset::num_samples=63";  // predict reads the same dataset
  REQUIRE(fit(dir, {{odd, "trainer::max_epochs=1"}}).exit_code == 0);
  auto predict = [&](const std::string& file, std::vector<std::string> extra) {
    std::vector<std::string> args = {"predict", kSynthetic, odd, "--ckpt_path", "last",
                                     "trainer::callbacks=[{_target_=\"lighter.callbacks.CsvWriter\", path=\"" + file +
                                         "\", keys=[\"id\", \"target\"]}]"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto run = run_host(args, dir.path());
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    std::vector<std::string> lines;
    std::istringstream in(read_text(dir / file));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };
  auto one = predict("one.csv", {});
  auto two = predict("two.csv", kTwoRanks);
  REQUIRE(one.size() == 64);  // header + 63 samples, each once (no DistributedSampler padding)
  REQUIRE(two.size() == 64);
  CHECK(one.front() == two.front());
  // Rank 0's rows (samples 0, 2, 4, ...) then rank 1's, as Lightning's writers merge them.
  CHECK(two[1].rfind("0,", 0) == 0);
  CHECK(two[33].rfind("1,", 0) == 0);
  std::sort(one.begin() + 1, one.end());
  std::sort(two.begin() + 1, two.end());
  CHECK(one == two);
  CHECK_FALSE(fs::exists(dir / "two.tmp_rank1.csv"));
}
