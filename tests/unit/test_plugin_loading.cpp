// Loading plugin files: handshake, refusals, duplicates, and object lifetime.
#include <dlfcn.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "build/builder.hpp"
#include "config/parse.hpp"
#include "lighter/callback.hpp"
#include "engine/interrupt.hpp"
#include "plugins/boundary.hpp"
#include "plugins/discovery.hpp"
#include "plugins/library.hpp"
#include "support/host_runner.hpp"

using namespace lighter;
using namespace lighter::host;
namespace fs = std::filesystem;

namespace {
fs::path test_plugin(const std::string& name) { return fs::path(LIGHTER_TEST_PLUGIN_DIR) / (name + ".so"); }

bool library_is_loaded(const fs::path& file) {
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle) ::dlclose(handle);
  return handle != nullptr;
}
}  // namespace

TEST_CASE("a plugin with the right handshake loads and registers") {
  auto library = PluginLibrary::load(test_plugin("lifetime_plugin"));
  CHECK(library->descriptor().sdk_abi_major == LIGHTER_SDK_ABI_MAJOR);
  ComponentRegistry registry;
  registry.add_library(library, "project.");
  REQUIRE(registry.find("project.Probe"));
  CHECK(registry.find("project.Probe")->source == test_plugin("lifetime_plugin").string());
}

TEST_CASE("a wrong SDK ABI is refused naming both sides") {
  try {
    PluginLibrary::load(test_plugin("wrong_abi_plugin"));
    FAIL("loaded a plugin with ABI 99");
  } catch (const PluginError& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("wrong_abi_plugin.so: refused"));
    CHECK_THAT(msg, Catch::Contains("built for SDK ABI 99.0"));
    CHECK_THAT(msg, Catch::Contains("this lighter-host provides SDK ABI " + std::to_string(LIGHTER_SDK_ABI_MAJOR) + "."));
  }
}

TEST_CASE("a shared object without the entry point is not a plugin") {
  CHECK_THROWS_WITH(PluginLibrary::load(test_plugin("not_a_plugin")), Catch::Contains("not a lighter plugin"));
}

TEST_CASE("a world-writable plugin file is refused") {
  lighter::test::TempDir dir;
  const fs::path copy = dir / "probe.so";
  fs::copy_file(test_plugin("lifetime_plugin"), copy);
  ::chmod(copy.c_str(), 0666);
  CHECK_THROWS_WITH(PluginLibrary::load(copy), Catch::Contains("world-writable"));
  ::chmod(copy.c_str(), 0644);
  CHECK_NOTHROW(PluginLibrary::load(copy));
}

TEST_CASE("two plugins registering one name is an error naming both files") {
  ComponentRegistry registry;
  registry.add_library(PluginLibrary::load(test_plugin("lifetime_plugin")), "");
  lighter::test::TempDir dir;
  const fs::path copy = dir / "second.so";
  fs::copy_file(test_plugin("lifetime_plugin"), copy);
  try {
    registry.add_library(PluginLibrary::load(copy), "");
    FAIL("duplicate accepted");
  } catch (const PluginError& e) {
    CHECK_THAT(e.what(), Catch::Contains("'Probe' is registered twice"));
    CHECK_THAT(e.what(), Catch::Contains(test_plugin("lifetime_plugin").string()));
    CHECK_THAT(e.what(), Catch::Contains(copy.string()));
  }
}

TEST_CASE("objects keep their plugin loaded after the registry is gone") {
  // A private copy, so no other test holds this file open.
  lighter::test::TempDir dir;
  const fs::path file = dir / "lifetime_copy.so";
  fs::copy_file(test_plugin("lifetime_plugin"), file);
  ::chmod(file.c_str(), 0644);

  ObjectPtr probe;
  {
    auto registry = std::make_unique<ComponentRegistry>();
    registry->add_library(PluginLibrary::load(file), "project.");
    auto root = cfg::parse_string("[p]\n_target_ = \"project.Probe\"\nvalue = 4\n", "run.toml");
    Builder builder(root, *registry);
    probe = builder.build("p", Kind::Callback);
  }  // registry, builder and every explicit library handle are gone here
  REQUIRE(library_is_loaded(file));
  // Virtual calls into the plugin's code still work.
  auto callback = std::dynamic_pointer_cast<Callback>(probe);
  REQUIRE(callback);
  CHECK(callback->state_key() == "project.Probe");
  using LiveFn = int (*)();
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(handle);
  auto live = reinterpret_cast<LiveFn>(::dlsym(handle, "lighter_test_live_objects"));
  REQUIRE(live);
  CHECK(live() == 1);
  ::dlclose(handle);

  callback.reset();
  probe.reset();  // the last object goes: its destructor runs, then the library unloads
  CHECK_FALSE(library_is_loaded(file));
}

TEST_CASE("a truncated plugin is refused before dlopen maps it") {
  lighter::test::TempDir dir;
  const std::string bytes = lighter::test::read_text(test_plugin("lifetime_plugin"));
  for (size_t size : {size_t{0}, size_t{10}, size_t{63}, size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    const fs::path file = dir / ("cut_" + std::to_string(size) + ".so");
    lighter::test::write_text(file, bytes.substr(0, size));
    ::chmod(file.c_str(), 0644);
    INFO("truncated to " << size << " bytes");
    CHECK_THROWS_WITH(PluginLibrary::load(file), Catch::Contains(file.string() + ": refused: "));
  }
}

TEST_CASE("what crosses the plugin boundary is described in one line") {
  auto text_of = [](auto thrower) {
    try {
      thrower();
    } catch (...) {
      return current_exception_text();
    }
    return std::string("nothing thrown");
  };
  CHECK(text_of([] { throw 42; }) == "a non-standard exception (int)");
  CHECK(text_of([] { throw std::runtime_error("one\ntwo"); }) == "one");
  const std::string torch_error = text_of([] { torch::ones({3}) + torch::ones({4}); });
  CHECK_THAT(torch_error, Catch::StartsWith("The size of tensor a (3) must match the size of tensor b (4)"));
  CHECK_THAT(torch_error, !Catch::Contains("\n"));

  struct Probe : Callback {};
  auto probe = std::make_shared<Probe>();
  record_origin(probe, Origin{"project.Probe", "trainer::callbacks::1", "/p/libx.so"});
  try {
    call_plugin(*probe, "on_fit_end", [] { return std::string("at epoch 2, step 7"); }, [] { throw 7L; });
    FAIL("nothing thrown");
  } catch (const PluginFailure& e) {
    CHECK(std::string(e.what()) ==
          "plugin /p/libx.so: project.Probe (trainer::callbacks::1) threw a non-standard exception (long) in on_fit_end at epoch 2, step 7");
  }
  CHECK_THROWS_AS(call_plugin(*probe, "hook", [] { return std::string(); }, [] { throw Interrupted(); }), Interrupted);
  forget_origin(probe.get());
}
