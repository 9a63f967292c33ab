// What a run leaves, read back by Python: the checkpoint in torch.load (layout, weights, optimizer
// state, and the network reproducing lighter's predictions) and the TensorBoard event file through
// protobuf. These are the promises of SPEC §5; under CI=true a missing Python package fails.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "support/ci.hpp"
#include "support/host_runner.hpp"

using lighter::test::run_host;
using lighter::test::TempDir;
namespace fs = std::filesystem;

namespace {
const fs::path kData = fs::path(LIGHTER_TEST_DATA_DIR) / "e2e";
const fs::path kScripts = fs::path(LIGHTER_SOURCE_DIR) / "tests" / "e2e" / "python";

bool python_has(const std::string& modules) {
  return std::system(("/usr/bin/python3 -c 'import " + modules + "' >/dev/null 2>&1").c_str()) == 0;
}

// Runs a checker script; returns its exit code and what it printed.
std::pair<int, std::string> python(const std::string& script, const std::vector<std::string>& args) {
  std::string command = "/usr/bin/python3 " + (kScripts / script).string();
  for (const auto& a : args) command += " '" + a + "'";
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string printed;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe)) printed += buffer;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, printed};
}

fs::path only_file(const fs::path& dir, const std::string& prefix) {
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) return entry.path();
  FAIL("no file starting with " + prefix + " in " + dir.string());
  return {};
}
}  // namespace

TEST_CASE("a checkpoint loads in Python's torch and its network reproduces lighter's predictions", "[python]") {
  LIGHTER_REQUIRE_TOOL(python_has("torch"), "/usr/bin/python3 with torch (Debian: python3-torch)");
  TempDir dir;
  auto fit = run_host({"fit", (kData / "synthetic.toml").string()}, dir.path());
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  const fs::path ckpt = dir / "lighter_logs/version_0/checkpoints/last.ckpt";
  REQUIRE(fs::exists(ckpt));
  auto predict = run_host({"predict", (kData / "synthetic.toml").string(), "--ckpt_path", ckpt.string(),
                           "trainer::callbacks=["
                           "{_target_=\"lighter.callbacks.FileWriter\", directory=\"inputs\", value_key=\"input\", writer_fn=\"tensor\", name_key=\"id\"},"
                           "{_target_=\"lighter.callbacks.FileWriter\", directory=\"probs\", value_key=\"probs\", writer_fn=\"tensor\", name_key=\"id\"}]"},
                          dir.path());
  INFO(predict.err);
  REQUIRE(predict.exit_code == 0);
  auto [code, printed] = python("check_checkpoint.py", {ckpt.string(), (dir / "inputs").string(), (dir / "probs").string()});
  INFO(printed);
  CHECK(code == 0);
}

TEST_CASE("the TensorBoard event file decodes with protobuf and agrees with metrics.csv", "[python]") {
  LIGHTER_REQUIRE_TOOL(python_has("google.protobuf"), "/usr/bin/python3 with protobuf (Debian: python3-protobuf)");
  TempDir dir;
  auto fit = run_host({"fit", (kData / "synthetic.toml").string(), "trainer::log_every_n_steps=1",
                       "trainer::logger=[{_target_=\"pytorch_lightning.loggers.CSVLogger\"}, "
                       "{_target_=\"pytorch_lightning.loggers.TensorBoardLogger\"}]"},
                      dir.path());
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  const fs::path run = dir / "lighter_logs/version_0";
  auto [code, printed] = python("check_tensorboard.py", {only_file(run, "events.out.tfevents.").string(), (run / "metrics.csv").string()});
  INFO(printed);
  CHECK(code == 0);
}
