// Hostile configs through the real binary: nesting bombs, files that are not files, numbers out
// of range, macros and references that multiply. Each case: exit 2 with one clear error line,
// no crash, no run directory.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/host_runner.hpp"

using lighter::test::HostResult;
using lighter::test::run_host;
using lighter::test::TempDir;
using lighter::test::write_text;
namespace fs = std::filesystem;

namespace {

const std::string kSynthetic = (fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "synthetic.toml").string();

std::string repeat(const std::string& text, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += text;
  return out;
}

// Runs `fit` on synthetic.toml plus `inputs` and checks the config-error contract.
HostResult refused(const TempDir& dir, const std::vector<std::string>& inputs, const std::string& expected) {
  std::vector<std::string> args{"fit", kSynthetic};
  args.insert(args.end(), inputs.begin(), inputs.end());
  HostResult r = run_host(args, dir.path());
  INFO(r.err.substr(0, 2000));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("error: ") && Catch::Contains(expected));
  CHECK(r.err.size() < 1000);  // one line, not the hostile input echoed back
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
  return r;
}

}  // namespace

TEST_CASE("deeply nested configs exit 2 instead of overflowing the stack") {
  TempDir dir;
  write_text(dir / "arrays.toml", "[vars]\nx = " + repeat("[", 10000) + "1" + repeat("]", 10000) + "\n");
  refused(dir, {(dir / "arrays.toml").string()},
          "arrays.toml:2:67: arrays and tables nest 10002 levels deep; lighter accepts at most 64 (a config is small: flatten it)");
  write_text(dir / "tables.toml", "x = " + repeat("{a = ", 5000) + "1" + repeat("}", 5000) + "\n");
  refused(dir, {(dir / "tables.toml").string()}, "tables.toml:1:");
  write_text(dir / "header.toml", "[a" + repeat(".a", 29999) + "]\nx = 1\n");
  refused(dir, {(dir / "header.toml").string()}, "header.toml:1:1: arrays and tables nest 30001 levels deep");
  refused(dir, {"a" + repeat("::a", 29999) + "=1"}, "has 30000 parts; lighter accepts at most 64");
  refused(dir, {"vars::x=" + repeat("[", 10000)}, "<override>:1:");
}

TEST_CASE("config inputs that are not regular files, or too large, exit 2") {
  TempDir dir;
  refused(dir, {"/dev/zero"}, "/dev/zero: cannot read config file (it is a character device, not a regular file)");
  refused(dir, {"/dev/urandom"}, "it is a character device, not a regular file");
  REQUIRE(::mkfifo((dir / "pipe.toml").c_str(), 0600) == 0);
  refused(dir, {(dir / "pipe.toml").string()}, "cannot read config file (it is a FIFO, not a regular file)");
  refused(dir, {dir.path().string()}, "cannot read config file (it is a directory, not a regular file)");
  write_text(dir / "big.toml", "seed = 1\n");
  fs::resize_file(dir / "big.toml", (1u << 20) + 1);
  refused(dir, {(dir / "big.toml").string()}, "cannot read config file (it has 1048577 bytes; lighter reads at most 1 MiB");
  fs::create_symlink("/dev/zero", dir / "zero.toml");
  write_text(dir / "macro.toml", "[vars]\nz = \"%zero.toml\"\n");
  refused(dir, {(dir / "macro.toml").string()}, "macro.toml:2:5: vars::z: macro '%zero.toml': cannot read config file");
}

TEST_CASE("numbers out of range and non-finite floats exit 2 where a finite value is expected") {
  TempDir dir;
  write_text(dir / "epochs.toml", "[trainer]\nmax_epochs = 99999999999999999999\n");
  refused(dir, {(dir / "epochs.toml").string()},
          "epochs.toml:2:14: trainer::max_epochs: 99999999999999999999 does not fit a 64-bit integer");
  refused(dir, {"trainer::max_epochs=99999999999999999999"}, "<override>: trainer::max_epochs: 99999999999999999999 does not fit");
  write_text(dir / "lr.toml", "[model.optimizer]\nlr = 1e400\n");
  refused(dir, {(dir / "lr.toml").string()}, "lr.toml:2:6: model::optimizer::lr: 1e400 is too large for a 64-bit float");
  for (const std::string value : {"inf", "-inf", "nan"}) {
    write_text(dir / "nonfinite.toml", "[model.optimizer]\nlr = " + value + "\n");
    refused(dir, {(dir / "nonfinite.toml").string(), "--dry-run"},
            "nonfinite.toml:2:6: model::optimizer::lr: expected a finite number, got " + value);
  }
  refused(dir, {"trainer::gradient_clip_val=nan"}, "trainer::gradient_clip_val: expected a finite number, got nan");
  refused(dir, {"model::optimizer::betas=[0.9, inf]"}, "model::optimizer::betas::1: expected a finite number, got inf");

  // A parameter that opts in takes inf.
  auto ok = run_host({"fit", kSynthetic, "--dry-run",
                      "trainer::callbacks=[{_target_=\"pytorch_lightning.callbacks.EarlyStopping\", monitor=\"val/loss\", "
                      "divergence_threshold=inf}]"},
                     dir.path());
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
}

TEST_CASE("macros and references that multiply exit 2") {
  TempDir dir;
  std::string macros = "[vars]\nl0 = [1, 2]\n", references = macros;
  for (int i = 1; i <= 40; ++i) {
    const std::string previous = "vars::l" + std::to_string(i - 1);
    macros += "l" + std::to_string(i) + " = [\"%" + previous + "\", \"%" + previous + "\"]\n";
    references += "l" + std::to_string(i) + " = [\"@" + previous + "\", \"@" + previous + "\"]\n";
  }
  write_text(dir / "macros.toml", macros);
  refused(dir, {(dir / "macros.toml").string()}, "macros copy more than 1048576 values in all");
  write_text(dir / "references.toml", references);
  refused(dir, {(dir / "references.toml").string(), "--print-config"}, "references copy more than 1048576 values in all");
  refused(dir, {(dir / "references.toml").string(), "model::optimizer::betas=@vars::l40", "--dry-run"},
          "references copy more than 1048576 values in all");

  std::string chain = "[vars]\nr0 = 1\n";
  for (int i = 1; i <= 5000; ++i) chain += "r" + std::to_string(i) + " = \"@vars::r" + std::to_string(i - 1) + "\"\n";
  write_text(dir / "chain.toml", chain);
  refused(dir, {(dir / "chain.toml").string(), "model::optimizer::lr=@vars::r5000", "--dry-run"},
          "references point through more than 64 others");
  refused(dir, {(dir / "chain.toml").string(), "--print-config"}, "references point through more than 64 others");
}
