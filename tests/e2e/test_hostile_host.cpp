// Hostile input through the real binary: damaged and throwing plugins, CLI misuse, signals at
// start-up, stages without their loaders. Each case: one clear error, the documented exit code.
#include <elf.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "support/host_runner.hpp"

using lighter::test::count_entries;
using lighter::test::HostResult;
using lighter::test::read_text;
using lighter::test::run_host;
using lighter::test::TempDir;
using lighter::test::write_text;
namespace fs = std::filesystem;

namespace {

const std::string kSynthetic = (fs::path(LIGHTER_TEST_DATA_DIR) / "e2e" / "synthetic.toml").string();
const fs::path kBuiltinPlugin = fs::path(LIGHTER_HOST_PATH).parent_path().parent_path() / "plugins" / "torch_nn" / "lighter_torch_nn.so";
fs::path test_plugin(const std::string& name) { return fs::path(LIGHTER_TEST_PLUGIN_DIR) / (name + ".so"); }

// A project folder whose marker loads plugins/*.so; returns the path `name` gets there.
fs::path project_with(const TempDir& dir, const std::string& name, const std::string& bytes) {
  write_text(dir / "__lighter__.toml", "plugins = [\"plugins/*.so\"]\n");
  const fs::path file = dir / "plugins" / name;
  write_text(file, bytes);
  ::chmod(file.c_str(), 0644);
  return file;
}

// The throwing test plugin in a project folder; its components are project.<Name>.
fs::path hostile_project(const TempDir& dir) {
  return project_with(dir, "throwing_plugin.so", read_text(test_plugin("throwing_plugin")));
}

// One error line, no C++ backtrace, no abort.
void check_one_clear_error(const HostResult& r) {
  INFO(r.err);
  CHECK_THAT(r.err, Catch::Contains("error: "));
  CHECK_THAT(r.err, !Catch::Contains("frame #"));
  CHECK_THAT(r.err, !Catch::Contains("Exception raised from"));
  CHECK_THAT(r.err, !Catch::Contains("terminate called"));
  CHECK_THAT(r.err, !Catch::Contains("Bad file descriptor"));
}

}  // namespace

TEST_CASE("damaged plugin files are refused before dlopen, with exit 2") {
  const std::string real = read_text(kBuiltinPlugin);
  REQUIRE(real.size() > 4096);
  Elf64_Ehdr header{};
  std::memcpy(&header, real.data(), sizeof(header));
  const size_t in_program_headers = header.e_phoff + header.e_phentsize + header.e_phentsize / 2;
  // Cut in the middle, with the section header table (at the end) taken out of the header, so
  // only the loaded segments reach past the end.
  Elf64_Ehdr no_sections = header;
  no_sections.e_shoff = 0;
  no_sections.e_shnum = 0;
  const std::string segments_cut =
      std::string(reinterpret_cast<const char*>(&no_sections), sizeof(no_sections)) + real.substr(sizeof(no_sections), real.size() / 2);
  const std::map<std::string, std::string> damaged = {
      {"inside a loaded segment", segments_cut},
      {"inside the ELF header", real.substr(0, 40)},
      {"inside the program headers", real.substr(0, in_program_headers)},
      {"in the middle", real.substr(0, real.size() / 2)},
      {"one byte short", real.substr(0, real.size() - 1)},
      {"a text file", "this is not a shared library\n"},
      {"an empty file", ""},
  };
  for (const auto& [what, bytes] : damaged) {
    SECTION(what) {
      TempDir dir;
      const fs::path file = project_with(dir, "damaged.so", bytes);
      for (const std::string command : {"plugins", "fit"}) {
        auto r = command == "fit" ? run_host({"fit", kSynthetic}, dir.path()) : run_host({"plugins"}, dir.path());
        INFO(command << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("error: plugin " + file.string() + ": refused: "));
        check_one_clear_error(r);
      }
      CHECK_FALSE(fs::exists(dir / "lighter_logs"));
    }
  }
}

TEST_CASE("a plugin dlopen cannot load gives dlerror's text only") {
  // A plugin whose SDK library dependency is renamed to one that does not exist.
  std::string bytes = read_text(test_plugin("lifetime_plugin"));
  size_t renamed = 0;
  for (size_t at = bytes.find("liblighter_sdk.so"); at != std::string::npos; at = bytes.find("liblighter_sdk.so", at + 1), ++renamed)
    bytes.replace(at, 17, "liblighter_sdq.so");
  REQUIRE(renamed > 0);
  TempDir dir;
  const fs::path file = project_with(dir, "needs_missing_lib.so", bytes);
  auto r = run_host({"plugins"}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("error: plugin " + file.string() + ": cannot load: "));
  CHECK_THAT(r.err, Catch::Contains("liblighter_sdq.so"));
  CHECK_THAT(r.err, Catch::Contains("cannot open shared object file"));
  check_one_clear_error(r);
}

TEST_CASE("a factory that throws 42 is a config error naming plugin, component and key") {
  TempDir dir;
  const fs::path plugin = hostile_project(dir);
  auto r = run_host({"fit", kSynthetic, "trainer::callbacks=[{_target_=\"project.ThrowsIntInFactory\"}]"}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("trainer::callbacks::0: project.ThrowsIntInFactory failed to build: plugin " + plugin.string() +
                                    " threw a non-standard exception (int) in the factory of project.ThrowsIntInFactory"));
  check_one_clear_error(r);
  CHECK_FALSE(fs::exists(dir / "lighter_logs"));
}

TEST_CASE("a hook that throws 42 names the plugin, component, hook and step") {
  TempDir dir;
  const fs::path plugin = hostile_project(dir);
  auto r = run_host({"fit", kSynthetic, "trainer::callbacks=[{_target_=\"project.ThrowsIntInHook\", at_step=3}]"}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("error: plugin " + plugin.string() +
                                    ": project.ThrowsIntInHook (trainer::callbacks::0) threw a non-standard exception (int) "
                                    "in on_train_batch_end at epoch 0, step 3"));
  check_one_clear_error(r);
}

TEST_CASE("a libtorch error in a hook is one line without backtrace") {
  TempDir dir;
  const fs::path plugin = hostile_project(dir);
  auto r = run_host({"fit", kSynthetic, "trainer::callbacks=[{_target_=\"project.TorchErrorInHook\"}]"}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("error: plugin " + plugin.string() +
                                    ": project.TorchErrorInHook (trainer::callbacks::0) failed in on_train_epoch_end at epoch 0, "
                                    "step 8: The size of tensor a (3) must match the size of tensor b (4)"));
  check_one_clear_error(r);
}

TEST_CASE("a training_step that throws 42 names the model, the batch and its shapes") {
  TempDir dir;
  const fs::path plugin = hostile_project(dir);
  auto r = run_host({"fit", kSynthetic, "model::_target_=project.StepThrowsInt", "~model::task", "model::at_batch=1",
                     "trainer::num_sanity_val_steps=0"},
                    dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("error: plugin " + plugin.string() +
                                    ": project.StepThrowsInt (model) threw a non-standard exception (int) in training_step "
                                    "at epoch 0, batch 1 (batch: input Float [16, 8], target Long [16], id Long [16]; "
                                    "network torch.nn.Sequential, criterion torch.nn.CrossEntropyLoss)"));
  check_one_clear_error(r);
}

TEST_CASE("a failing step names the model, the batch's shapes, the network and the criterion") {
  TempDir dir;
  // Regression targets [16] against a [16, 3] output.
  auto r = run_host({"fit", kSynthetic, "model::criterion::_target_=torch.nn.MSELoss", "model::task=regression",
                     "data::train_dataloader::dataset::task=regression", "trainer::num_sanity_val_steps=0"},
                    dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("lighter.SupervisedModule (model) failed in training_step at epoch 0, batch 0 (batch: input Float [16, 8]"));
  CHECK_THAT(r.err, Catch::Contains("criterion torch.nn.MSELoss): "));
  CHECK_THAT(r.err, Catch::Contains("the network output has shape [16, 3] but the target has shape [16]"));
  check_one_clear_error(r);
}

TEST_CASE("a dataset failing on a loader's worker thread is carried to the main thread") {
  TempDir dir;
  hostile_project(dir);
  auto r = run_host({"fit", kSynthetic, "=data::train_dataloader::dataset={_target_=\"project.BrokenDataset\"}",
                     "data::train_dataloader::num_workers=2"},
                    dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("torch.utils.data.DataLoader (data::train_dataloader) failed in next (loading a batch) at epoch 0, step 0: "));
  CHECK_THAT(r.err, Catch::Contains("cannot be read (BrokenDataset)"));
  check_one_clear_error(r);
}

TEST_CASE("a writer function that throws 42 inside another plugin's hook") {
  TempDir dir;
  const fs::path plugin = hostile_project(dir);
  auto r = run_host({"predict", kSynthetic,
                     "trainer::callbacks=[{_target_=\"lighter.callbacks.FileWriter\", directory=\"" + (dir / "out").string() +
                         "\", value_key=\"pred\", writer_fn=\"throw42\"}]"},
                    dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("lighter.callbacks.FileWriter (trainer::callbacks::0) failed in on_predict_batch_end"));
  CHECK_THAT(r.err, Catch::Contains("writer function 'throw42' of plugin " + plugin.string() + " threw a non-standard exception (int)"));
  check_one_clear_error(r);
}

TEST_CASE("a stage without its dataloader is a config error found before anything is written") {
  const std::map<std::string, std::string> loader_of = {
      {"fit", "train_dataloader"}, {"validate", "val_dataloader"}, {"test", "test_dataloader"}, {"predict", "predict_dataloader"}};
  for (const auto& [stage, loader] : loader_of) {
    SECTION(stage) {
      TempDir dir;
      auto r = run_host({stage, kSynthetic, "data::" + loader + "::_disabled_=true"}, dir.path());
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, Catch::Contains("data::" + loader + ": " + stage + " needs data::" + loader));
      check_one_clear_error(r);
      CHECK_FALSE(fs::exists(dir / "lighter_logs"));
      // (synthetic.toml's other loaders copy val_dataloader's dataset: it cannot be deleted.)
      if (loader != "val_dataloader") {
        auto deleted = run_host({stage, kSynthetic, "~data::" + loader, "--dry-run"}, dir.path());
        CHECK(deleted.exit_code == 2);
        CHECK_THAT(deleted.err, Catch::Contains(stage + " needs data::" + loader));
      }
    }
  }
}

TEST_CASE("stray arguments are usage errors") {
  TempDir dir;
  auto plugins = run_host({"plugins", "extra"}, dir.path());
  CHECK(plugins.exit_code == 2);
  CHECK_THAT(plugins.err, Catch::Contains("error: plugins takes no arguments, got 'extra'"));
  auto describe = run_host({"plugins", "--describe", "torch.nn.Linear", "extra"}, dir.path());
  CHECK(describe.exit_code == 2);
  auto version = run_host({"--version", "extra"}, dir.path());
  CHECK(version.exit_code == 2);
  CHECK_THAT(version.err, Catch::Contains("--version takes no arguments, got 'extra'"));
  auto help = run_host({"help", "fit"}, dir.path());
  CHECK(help.exit_code == 2);
}

TEST_CASE("a signal during start-up or after the last step exits 130") {
  TempDir dir;
  hostile_project(dir);
  SECTION("while plugins load") {
    auto r = run_host({"fit", kSynthetic}, dir.path(), {{"LIGHTER_TEST_SIGNAL_ON_LOAD", "1"}});
    CHECK(r.exit_code == 130);
    CHECK_THAT(r.err, Catch::Contains("stopped by a signal before the run started (nothing was written)"));
    CHECK_FALSE(fs::exists(dir / "lighter_logs"));
    auto listing = run_host({"plugins"}, dir.path(), {{"LIGHTER_TEST_SIGNAL_ON_LOAD", "1"}});
    CHECK(listing.exit_code == 130);
  }
  SECTION("while components are built") {
    auto r = run_host({"fit", kSynthetic, "trainer::callbacks=[{_target_=\"project.SignalInFactory\"}]"}, dir.path());
    CHECK(r.exit_code == 130);
    CHECK_FALSE(fs::exists(dir / "lighter_logs"));
    auto dry = run_host({"fit", kSynthetic, "trainer::callbacks=[{_target_=\"project.SignalInFactory\"}]", "--dry-run"}, dir.path());
    CHECK(dry.exit_code == 130);
  }
  SECTION("after the last step") {
    auto r = run_host({"fit", kSynthetic, "trainer::max_epochs=1", "trainer::callbacks=[{_target_=\"project.SignalAtFitEnd\"}]"},
                      dir.path());
    CHECK(r.exit_code == 130);
    CHECK_THAT(r.err, Catch::Contains("stopped by a signal"));
    CHECK(fs::exists(dir / "lighter_logs" / "version_0" / "config.toml"));
  }
}

TEST_CASE("SIGTERM at any moment of a run exits 130") {
  // Whatever the host is doing when the signal comes (loading plugins, building, training).
  // `timeout` sends it twice (to the process and to its group): still one request to stop.
  // 0.2 s and 0.5 s land while libtorch is still loading (0.3 to 0.7 s idle, seconds on a loaded
  // machine): the launcher's handlers are in place before the engine and libtorch load.
  for (const std::string delay : {"0.2", "0.5", "4", "8"}) {
    TempDir dir;
    auto r = run_host({"fit", kSynthetic, "trainer::max_epochs=100000"}, dir.path(), {},
                      "timeout --preserve-status -s TERM " + delay);
    INFO("SIGTERM after " << delay << " s: " << r.err);
    CHECK(r.exit_code == 130);
  }
}

TEST_CASE("lighter-host without its engine library says so, with where it looked") {
  TempDir dir;
  fs::copy_file(LIGHTER_HOST_PATH, dir / "lighter-host");
  fs::permissions(dir / "lighter-host", fs::perms::owner_all);
  const std::string out = (dir / "out.txt").string();
  const int status = std::system(((dir / "lighter-host").string() + " --version 2>" + out).c_str());
  CHECK(WEXITSTATUS(status) == 1);
  const std::string err = read_text(dir / "out.txt");
  CHECK_THAT(err, Catch::Contains("error: lighter-host cannot load its engine library liblighter_host_engine.so") &&
                      Catch::Contains((dir / "liblighter_host_engine.so").string() + ": not there"));
}

TEST_CASE("plugin search problems are warned about and `plugins` says where it looked") {
  TempDir dir;
  write_text(dir / "__lighter__.toml", "plugins = [\"nothing/*.so\", \"lib/missing.so\"]\n");
  auto r = run_host({"plugins"}, dir.path(), {{"LIGHTER_PLUGIN_PATH", (dir / "no-such-folder").string()}});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("'nothing/*.so' matches no file"));
  CHECK_THAT(r.err, Catch::Contains("'lib/missing.so' matches no file"));
  CHECK_THAT(r.err, Catch::Contains("LIGHTER_PLUGIN_PATH names '" + (dir / "no-such-folder").string() + "', which does not exist"));
  CHECK_THAT(r.out, Catch::Contains("project marker: " + (dir / "__lighter__.toml").string() +
                                    ", plugins = 'nothing/*.so', 'lib/missing.so'"));
  CHECK_THAT(r.out, Catch::Contains("LIGHTER_PLUGIN_PATH: " + (dir / "no-such-folder").string()));
  CHECK_THAT(r.out, Catch::Contains("built-in plugins: "));

  TempDir bare;
  auto none = run_host({"plugins"}, bare.path(), {{"LIGHTER_PLUGIN_PATH", ""}});
  CHECK(none.exit_code == 0);
  CHECK_THAT(none.out, Catch::Contains("project marker: none"));
  CHECK_THAT(none.out, Catch::Contains("LIGHTER_PLUGIN_PATH: (not set)"));
  CHECK(none.err.empty());
}
