// The builder: `_target_` lookup, parameter validation, references, `_args_`, `_disabled_`.
#include <catch2/catch.hpp>

#include "build/builder.hpp"
#include "config/error.hpp"
#include "config/parse.hpp"
#include "lighter/args.hpp"
#include "lighter/callback.hpp"

using namespace lighter;
using lighter::host::Builder;
using lighter::host::BuildError;
using lighter::host::ComponentRegistry;

namespace {

struct Leaf : Callback {
  int64_t size = 0;
  double rate = 0;
  std::string name;
  std::vector<int64_t> dims;
};

struct Pair : Callback {
  std::shared_ptr<Leaf> left, right;
  std::vector<std::shared_ptr<Leaf>> extra;
};

ComponentRegistry test_registry() {
  ComponentRegistry registry;
  ComponentInfo leaf;
  leaf.name = "test.Leaf";
  leaf.kind = Kind::Callback;
  leaf.params = {param::integer("size", std::nullopt, "required size"), param::real("rate", 0.5, "a rate"),
                 param::choice("name", {"a", "b"}, "a", "a choice"), param::list("dims", Type::Int, Value(Value::Array{}), "ints")};
  leaf.factory = [](const Args& a) {
    auto l = std::make_shared<Leaf>();
    l->size = a.get<int64_t>("size");
    l->rate = a.get<double>("rate");
    l->name = a.get<std::string>("name");
    l->dims = a.get<std::vector<int64_t>>("dims");
    return l;
  };
  registry.add_builtin(leaf);
  ComponentInfo pair;
  pair.name = "test.Pair";
  pair.kind = Kind::Callback;
  pair.params = {param::component("left", Kind::Callback, "left"), param::component("right", Kind::Callback, "right", true)};
  pair.positional = param::components("_args_", Kind::Callback, "extra leaves");
  pair.factory = [](const Args& a) {
    auto p = std::make_shared<Pair>();
    p->left = a.component<Leaf>("left");
    p->right = a.component<Leaf>("right");
    p->extra = a.components<Leaf>("_args_");
    return p;
  };
  registry.add_builtin(pair);
  ComponentInfo boom;
  boom.name = "test.Boom";
  boom.kind = Kind::Callback;
  boom.factory = [](const Args&) -> ObjectPtr { throw std::runtime_error("disk on fire"); };
  registry.add_builtin(boom);
  return registry;
}

cfg::Node parse(const std::string& text) { return cfg::parse_string(text, "run.toml"); }

std::string build_error(const std::string& text, const std::string& path) {
  auto registry = test_registry();
  auto root = parse(text);
  Builder builder(root, registry);
  try {
    builder.build(path, std::nullopt);
  } catch (const cfg::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("builder builds a component with declared defaults and typed values") {
  auto registry = test_registry();
  auto root = parse("[x]\n_target_ = \"test.Leaf\"\nsize = 3\ndims = [1, 2]\n");
  Builder builder(root, registry);
  auto leaf = std::dynamic_pointer_cast<Leaf>(builder.build("x", Kind::Callback));
  REQUIRE(leaf);
  CHECK(leaf->size == 3);
  CHECK(leaf->rate == 0.5);
  CHECK(leaf->name == "a");
  CHECK(leaf->dims == std::vector<int64_t>{1, 2});
  CHECK(leaf->target() == "test.Leaf");
}

TEST_CASE("a float parameter accepts an integer") {
  auto registry = test_registry();
  auto root = parse("[x]\n_target_ = \"test.Leaf\"\nsize = 1\nrate = 2\n");
  Builder builder(root, registry);
  CHECK(std::dynamic_pointer_cast<Leaf>(builder.build("x", std::nullopt))->rate == 2.0);
}

TEST_CASE("unknown parameter names the component and suggests the near name") {
  auto msg = build_error("[x]\n_target_ = \"test.Leaf\"\nsize = 1\nrat = 2\n", "x");
  CHECK(msg == "error: run.toml:4:7: x::rat: unknown parameter of test.Leaf (did you mean 'rate'?)");
}

TEST_CASE("wrong type, missing required and bad choice are config errors") {
  CHECK_THAT(build_error("[x]\n_target_ = \"test.Leaf\"\nsize = \"big\"\n", "x"),
             Catch::Contains("x::size: expected integer, got string \"big\""));
  CHECK_THAT(build_error("[x]\n_target_ = \"test.Leaf\"\n", "x"),
             Catch::Contains("x: missing required parameter 'size' of test.Leaf"));
  CHECK_THAT(build_error("[x]\n_target_ = \"test.Leaf\"\nsize = 1\nname = \"c\"\n", "x"),
             Catch::Contains("x::name: expected one of 'a' 'b', got \"c\""));
  CHECK_THAT(build_error("[x]\n_target_ = \"test.Leaf\"\nsize = 1\ndims = [1, \"2\"]\n", "x"),
             Catch::Contains("x::dims::1: expected a list of integer, got string"));
}

TEST_CASE("unknown _target_ lists near names") {
  CHECK_THAT(build_error("[x]\n_target_ = \"test.Leef\"\n", "x"),
             Catch::Contains("x::_target_: unknown _target_ 'test.Leef' (did you mean 'test.Leaf'?)"));
  CHECK_THAT(build_error("[x]\n_target_ = \"test.Zzzzzzzz\"\n", "x"),
             Catch::Contains("known in test.*: 'test.Boom', 'test.Leaf', 'test.Pair'"));
}

TEST_CASE("references share one instance and resolve plain values") {
  auto registry = test_registry();
  auto root = parse(
      "[vars]\nn = 7\n[leaf]\n_target_ = \"test.Leaf\"\nsize = \"@vars::n\"\n"
      "[pair]\n_target_ = \"test.Pair\"\nleft = \"@leaf\"\nright = \"@leaf\"\n");
  Builder builder(root, registry);
  auto pair = std::dynamic_pointer_cast<Pair>(builder.build("pair", std::nullopt));
  REQUIRE(pair);
  CHECK(pair->left == pair->right);
  CHECK(pair->left->size == 7);
  CHECK(builder.build("leaf", std::nullopt) == pair->left);
}

TEST_CASE("reference cycles name the chain") {
  auto msg = build_error(
      "[a]\n_target_ = \"test.Pair\"\nleft = \"@b\"\n[b]\n_target_ = \"test.Pair\"\nleft = \"@a\"\n", "a");
  CHECK_THAT(msg, Catch::Contains("reference cycle: a -> b -> a"));
  CHECK_THAT(build_error("[vars]\nx = \"@vars::y\"\ny = \"@vars::x\"\n[l]\n_target_ = \"test.Leaf\"\nsize = \"@vars::x\"\n", "l"),
             Catch::Contains("reference cycle"));
}

TEST_CASE("missing reference targets name the path and suggest") {
  auto msg = build_error("[vars]\nhidden = 3\n[l]\n_target_ = \"test.Leaf\"\nsize = \"@vars::hiden\"\n", "l");
  CHECK_THAT(msg, Catch::Contains("reference '@vars::hiden' points to nothing: 'vars' has no 'hiden'"));
  CHECK_THAT(msg, Catch::Contains("did you mean 'hidden'?"));
}

TEST_CASE("_args_ and _disabled_") {
  auto registry = test_registry();
  auto root = parse(
      "[p]\n_target_ = \"test.Pair\"\nleft = { _target_ = \"test.Leaf\", size = 1 }\n"
      "_args_ = [{ _target_ = \"test.Leaf\", size = 2 }, { _target_ = \"test.Leaf\", size = 3, _disabled_ = true },"
      " { _target_ = \"test.Leaf\", size = 4 }]\n"
      "right = { _target_ = \"test.Leaf\", size = 5, _disabled_ = true }\n");
  Builder builder(root, registry);
  auto pair = std::dynamic_pointer_cast<Pair>(builder.build("p", std::nullopt));
  REQUIRE(pair->extra.size() == 2);
  CHECK(pair->extra[0]->size == 2);
  CHECK(pair->extra[1]->size == 4);
  CHECK_FALSE(pair->right);
  CHECK_THAT(build_error("[x]\n_target_ = \"test.Leaf\"\nsize = 1\n_args_ = [1]\n", "x"),
             Catch::Contains("test.Leaf takes no positional arguments (_args_)"));
  CHECK_THAT(build_error("[x]\n_target_ = \"test.Leaf\"\nsize = 1\n_disabled_ = 1\n", "x"),
             Catch::Contains("_disabled_ must be true or false"));
}

TEST_CASE("a required component that is disabled is an error") {
  CHECK_THAT(build_error("[p]\n_target_ = \"test.Pair\"\nleft = { _target_ = \"test.Leaf\", size = 1, _disabled_ = true }\n", "p"),
             Catch::Contains("left is required by test.Pair but is disabled"));
}

TEST_CASE("kind mismatch and plain-for-component errors") {
  CHECK_THAT(build_error("[p]\n_target_ = \"test.Pair\"\nleft = 5\n", "p"),
             Catch::Contains("p::left: expected component, got integer 5"));
  auto registry = test_registry();
  auto root = parse("[x]\n_target_ = \"test.Leaf\"\nsize = 1\n");
  Builder builder(root, registry);
  CHECK_THROWS_WITH(builder.build("x", Kind::Model), Catch::Contains("test.Leaf is a callback, but x needs a model"));
}

TEST_CASE("a factory that throws is a build error, not a config error") {
  auto registry = test_registry();
  auto root = parse("[x]\n_target_ = \"test.Boom\"\n");
  Builder builder(root, registry);
  CHECK_THROWS_AS(builder.build("x", std::nullopt), BuildError);
  CHECK_THROWS_WITH(builder.build("x", std::nullopt), Catch::Contains("x: test.Boom failed to build: disk on fire"));
}

namespace {
// The builder collecting errors, as the runner uses it: every error of `paths`, in order.
std::vector<std::string> collected_errors(const std::string& text, const std::vector<std::string>& paths) {
  auto registry = test_registry();
  auto root = parse(text);
  Builder builder(root, registry);
  builder.collect_errors();
  for (const auto& path : paths) {
    try {
      builder.build(path, std::nullopt);
    } catch (const cfg::ConfigError& e) {
      builder.report(e);
    }
  }
  std::vector<std::string> lines;
  for (const auto& e : builder.errors()) lines.push_back(e.what());
  return lines;
}
}  // namespace

TEST_CASE("builder: collecting errors goes on past a failed component to its siblings and other parts") {
  const std::string text =
      "[a]\n_target_ = \"test.Pair\"\nleft = { _target_ = \"test.Leaf\", size = \"x\", colour = 1 }\n"
      "right = { _target_ = \"test.Leaf\" }\n"
      "[b]\n_target_ = \"test.Nope\"\n"
      "[c]\n_target_ = \"test.Leaf\"\nsize = 3\n";
  const auto errors = collected_errors(text, {"a", "b", "c"});
  REQUIRE(errors.size() == 4);
  CHECK(errors[0] == "error: run.toml:3:55: a::left::colour: unknown parameter of test.Leaf (its parameters: 'size', "
                     "'rate', 'name', 'dims')");
  CHECK_THAT(errors[1], Catch::StartsWith("error: run.toml:3:41: a::left::size: expected integer, got string"));
  CHECK_THAT(errors[2], Catch::StartsWith("error: run.toml:4:9: a::right: missing required parameter 'size'"));
  CHECK_THAT(errors[3], Catch::StartsWith("error: run.toml:6:12: b::_target_: unknown _target_ 'test.Nope'"));

  // A failed component referenced twice is reported once.
  const auto shared = collected_errors("[x]\n_target_ = \"test.Leaf\"\n[p]\n_target_ = \"test.Pair\"\nleft = \"@x\"\n"
                                       "right = \"@x\"\n",
                                       {"p", "x"});
  CHECK(shared.size() == 1);

  // Not collecting: the first error is thrown, as before.
  CHECK_THAT(build_error(text, "a"), Catch::Contains("a::left::colour: unknown parameter"));
  // A factory's own failure (not a config error) still stops the build at once.
  auto registry = test_registry();
  auto root = parse("[a]\n_target_ = \"test.Boom\"\n[b]\n_target_ = \"test.Nope\"\n");
  Builder builder(root, registry);
  builder.collect_errors();
  CHECK_THROWS_AS(builder.build("a", std::nullopt), BuildError);

  // The cap: the 20th error stops the build with all of them.
  std::string wide = "[a]\n_target_ = \"test.Leaf\"\nsize = 1\n";
  for (int i = 0; i < 25; ++i) wide += "k" + std::to_string(i) + " = 1\n";
  auto registry2 = test_registry();
  auto root2 = parse(wide);
  Builder capped(root2, registry2);
  capped.collect_errors();
  try {
    capped.build("a", std::nullopt);
    FAIL("no error");
  } catch (const cfg::ConfigErrors& e) {
    CHECK(e.errors().size() == 20);
    CHECK_THAT(e.what(), Catch::EndsWith("error: stopped after 20 config errors; fix these and run again"));
  }
}
