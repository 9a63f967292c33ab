// Plugin discovery and refusal through the real binary.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/host_runner.hpp"

using lighter::test::run_host;
using lighter::test::TempDir;
using lighter::test::write_text;
namespace fs = std::filesystem;

namespace {
const std::string kSynthetic = (fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "synthetic.toml").string();
fs::path test_plugin(const std::string& name) { return fs::path(LIGHTER_TEST_PLUGIN_DIR) / (name + ".so"); }

// A project folder holding a copy of `plugin` (mode 0644) and the marker.
void make_project(const TempDir& dir, const std::string& plugin) {
  write_text(dir / "__lighter__.toml", "plugins = [\"plugins/*.so\"]\n");
  fs::create_directories(dir / "plugins");
  fs::copy_file(test_plugin(plugin), dir / "plugins" / (plugin + ".so"));
  ::chmod((dir / "plugins" / (plugin + ".so")).c_str(), 0644);
}
}  // namespace

TEST_CASE("plugins lists the built-ins and the project's components with their files") {
  TempDir dir;
  make_project(dir, "lifetime_plugin");
  auto r = run_host({"plugins"}, dir.path());
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("torch.nn.Linear"));
  CHECK_THAT(r.out, Catch::Contains("torch.optim.Adam"));
  CHECK_THAT(r.out, Catch::Contains("lighter.SupervisedModule"));
  CHECK_THAT(r.out, Catch::Contains("pytorch_lightning.Trainer"));
  CHECK_THAT(r.out, Catch::Contains("project.Probe"));
  CHECK_THAT(r.out, Catch::Contains((dir / "plugins" / "lifetime_plugin.so").string()));
  CHECK_THAT(r.out, Catch::Contains("lighter_torch_nn.so"));
}

TEST_CASE("plugins --describe prints a component's parameters") {
  TempDir dir;
  auto r = run_host({"plugins", "--describe", "torch.nn.Linear"}, dir.path());
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("in_features"));
  CHECK_THAT(r.out, Catch::Contains("bias"));
  CHECK_THAT(r.out, Catch::Contains("default true"));
  auto trainer = run_host({"plugins", "--describe", "pytorch_lightning.Trainer"}, dir.path());
  CHECK_THAT(trainer.out, Catch::Contains("max_epochs"));
  auto unknown = run_host({"plugins", "--describe", "torch.nn.Linnear"}, dir.path());
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("did you mean 'torch.nn.Linear'?"));
}

TEST_CASE("a plugin with the wrong ABI is refused with exit 2") {
  TempDir dir;
  make_project(dir, "wrong_abi_plugin");
  auto r = run_host({"fit", kSynthetic}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("wrong_abi_plugin.so: refused: it was built for SDK ABI 99.0"));
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
  auto listing = run_host({"plugins"}, dir.path());
  CHECK(listing.exit_code == 2);
}

TEST_CASE("a world-writable project plugin is refused") {
  TempDir dir;
  make_project(dir, "lifetime_plugin");
  ::chmod((dir / "plugins" / "lifetime_plugin.so").c_str(), 0666);
  auto r = run_host({"plugins"}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("world-writable"));
}

TEST_CASE("LIGHTER_PLUGIN_PATH adds plugins; a duplicate name names both files") {
  TempDir dir;
  TempDir extra;
  fs::copy_file(test_plugin("lifetime_plugin"), extra / "probe.so");
  auto r = run_host({"plugins"}, dir.path(), {{"LIGHTER_PLUGIN_PATH", extra.path().string()}});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("Probe"));

  fs::copy_file(test_plugin("duplicate_plugin"), extra / "duplicate.so");
  auto dup = run_host({"plugins"}, dir.path(), {{"LIGHTER_PLUGIN_PATH", extra.path().string()}});
  CHECK(dup.exit_code == 2);
  CHECK_THAT(dup.err, Catch::Contains("'torch.nn.Linear' is registered twice"));
  CHECK_THAT(dup.err, Catch::Contains("lighter_torch_nn.so"));
  CHECK_THAT(dup.err, Catch::Contains((extra / "duplicate.so").string()));
}

TEST_CASE("a factory that throws and one that rejects its config both exit 2, before anything is written") {
  TempDir dir;
  make_project(dir, "throwing_plugin");
  auto boom = run_host({"fit", kSynthetic, "=model={_target_=\"project.Exploding\"}"}, dir.path());
  CHECK(boom.exit_code == 2);
  CHECK_THAT(boom.err, Catch::Contains("model: project.Exploding failed to build: cannot open weights file /nonexistent/w.pt"));
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
  auto picky = run_host({"fit", kSynthetic, "=model={_target_=\"project.Picky\", size=3}"}, dir.path());
  CHECK(picky.exit_code == 2);
  CHECK_THAT(picky.err, Catch::Contains("model::size: expected an even number, got 3"));
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
}
