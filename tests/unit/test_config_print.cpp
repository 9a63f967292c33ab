#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>

#include "config/compose.hpp"
#include "config/parse.hpp"
#include "config/print.hpp"

using namespace lighter::cfg;

namespace {
const std::filesystem::path kData = std::filesystem::path(LIGHTER_TEST_DATA_DIR) / "config";

Node reparsed(const Node& root) { return parse_string(to_toml(root), "printed.toml"); }

// A tree with every shape to_toml must handle.
Node rich_tree() {
    using N = Node;
    const N layers = N::make_array({N::make_table({{"_target_", N::make_string("torch.nn.Linear")},
                                                  {"in_features", N::make_int(4)},
                                                  {"sub", N::make_table({{"deep", N::make_bool(false)}})},
                                                  {"inner", N::make_array({N::make_table({{"k", N::make_int(1)}})})}}),
                                    N::make_table({})});
    return N::make_table({
        {"seed", N::make_int(std::numeric_limits<std::int64_t>::min())},
        {"trainer", N::make_table({{"max_epochs", N::make_int(3)},
                                   {"\"quoted\"", N::make_string("tab\there, quote \" backslash \\ bell \x07 nl\n")},
                                   {"callbacks", layers}})},
        {"model", N::make_table({{"=optimizer", N::make_table({{"lr", N::make_float(0.1)}})},
                                 {"~scheduler", N::make_bool(true)},
                                 {"a::b", N::make_int(1)},
                                 {"dotted.key", N::make_string("ünïcödé ✓")},
                                 {"", N::make_string("empty key")},
                                 {"network", N::make_table({{"_args_", N::make_array({})}, {"empty", N::make_table()}})}})},
        {"floats", N::make_array({N::make_float(0.1), N::make_float(1.0 / 3.0), N::make_float(1e300), N::make_float(5e-324),
                                  N::make_float(-0.0), N::make_float(2.0), N::make_float(1e22),
                                  N::make_float(std::numeric_limits<double>::infinity()),
                                  N::make_float(-std::numeric_limits<double>::infinity()), N::make_float(std::nan(""))})},
        {"mixed", N::make_array({N::make_int(1), N::make_table({{"x", N::make_array({N::make_table()})}}),
                                 N::make_array({N::make_string("s")})})},
        {"only_sections", N::make_table({{"child", N::make_table({{"v", N::make_int(1)}})}})},
    });
}
}  // namespace

TEST_CASE("config print: a rich tree round-trips", "[config][print]") {
    const Node tree = rich_tree();
    const std::string text = to_toml(tree);
    INFO(text);
    const Node back = parse_string(text, "printed.toml");
    CHECK(back == tree);
    CHECK(std::signbit(back.find("floats")->array()[4].as_float()));  // -0.0 stays negative
    CHECK(to_toml(back) == text);
}

TEST_CASE("config print: composed fixtures round-trip", "[config][print]") {
    const Node root = load_inputs({(kData / "base.toml").string(), (kData / "overlay.toml").string()});
    CHECK(reparsed(root) == root);
    const Node ordered = parse_file(kData / "order.toml", "order.toml");
    CHECK(reparsed(ordered) == ordered);
}

TEST_CASE("config print: readable sections in the tree's order", "[config][print]") {
    const Node root = parse_string(R"(seed = 1
[trainer]
max_epochs = 2
callbacks = [{ _target_ = "A", patience = 1 }]
[model]
_target_ = "M"
[model.network]
_target_ = "N"
)",
                                   "run.toml");
    CHECK(to_toml(root) == R"(seed = 1

[trainer]
max_epochs = 2

[[trainer.callbacks]]
_target_ = "A"
patience = 1

[model]
_target_ = "M"

[model.network]
_target_ = "N"
)");
}

TEST_CASE("config print: plain values come before sections", "[config][print]") {
    const Node root = Node::make_table({{"t", Node::make_table({{"x", Node::make_int(1)}})}, {"after", Node::make_int(2)}});
    CHECK(to_toml(root) == "after = 2\n\n[t]\nx = 1\n");
}

TEST_CASE("config print: keys, strings and floats are written exactly", "[config][print]") {
    const Node root = Node::make_table({{"=key", Node::make_int(1)},
                                        {"~key", Node::make_bool(true)},
                                        {"a::b", Node::make_string("q\"\\\n\x01")},
                                        {"bare_Key-1", Node::make_float(0.1)},
                                        {"whole", Node::make_float(3.0)},
                                        {"big", Node::make_float(1e300)},
                                        {"ninf", Node::make_float(-std::numeric_limits<double>::infinity())},
                                        {"nan", Node::make_float(std::nan(""))}});
    CHECK(to_toml(root) == "\"=key\" = 1\n\"~key\" = true\n\"a::b\" = \"q\\\"\\\\\\n\\u0001\"\nbare_Key-1 = 0.1\n"
                           "whole = 3.0\nbig = 1e+300\nninf = -inf\nnan = nan\n");
    CHECK(to_toml(Node::make_table({{"t", Node::make_table({{"a.b", Node::make_table({{"x", Node::make_int(1)}})}})}})) ==
          "[t.\"a.b\"]\nx = 1\n");
}

TEST_CASE("config print: what TOML cannot hold is refused", "[config][print]") {
    CHECK_THROWS_AS(to_toml(Node::make_int(1)), std::invalid_argument);
    CHECK_THROWS_WITH(to_toml(Node::make_table({{"a", Node::make_table({{"b", Node()}})}})),
                      "cannot write a::b as TOML: it is null and TOML has no null");
    CHECK(to_toml(Node::make_table()).empty());
}
