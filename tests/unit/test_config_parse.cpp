#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <functional>

#include "config/error.hpp"
#include "config/parse.hpp"

using namespace lighter::cfg;

namespace {
const std::filesystem::path kData = std::filesystem::path(LIGHTER_TEST_DATA_DIR) / "config";

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE("config parse: every TOML value type converts", "[config][parse]") {
    const Node root = parse_string(R"(
b = true
i = -42
hex = 0xff
f = 2.5
e = 1e-3
pinf = inf
ninf = -inf
nan = nan
s = "text"
lit = 'C:\path'
list = [1, "two", [3.0]]
tab = { k = "v" }
)",
                                   "t.toml");
    CHECK(root.find("b")->as_bool());
    CHECK(root.find("i")->as_int() == -42);
    CHECK(root.find("hex")->as_int() == 255);
    CHECK(root.find("f")->as_float() == 2.5);
    CHECK(root.find("e")->as_float() == 1e-3);
    CHECK(std::isinf(root.find("pinf")->as_float()));
    CHECK(root.find("ninf")->as_float() < 0);
    CHECK(std::isnan(root.find("nan")->as_float()));
    CHECK(root.find("s")->as_string() == "text");
    CHECK(root.find("lit")->as_string() == "C:\\path");
    const Node& list = *root.find("list");
    REQUIRE(list.array().size() == 3);
    CHECK(list.array()[1].as_string() == "two");
    CHECK(list.array()[2].array()[0].is_float());
    CHECK(root.find("tab")->find("k")->as_string() == "v");
}

TEST_CASE("config parse: values carry file, line and column", "[config][parse]") {
    const Node root = parse_string("a = 1\n[model]\n  lr = 0.5\n", "run.toml");
    CHECK(root.loc.str() == "run.toml");
    CHECK(root.find("a")->loc.str() == "run.toml:1:5");
    CHECK(root.find("model")->find("lr")->loc.str() == "run.toml:3:8");
}

TEST_CASE("config parse: the author's key order is kept", "[config][parse]") {
    const Node root = parse_file(kData / "order.toml", "order.toml");
    CHECK(root.keys() == std::vector<std::string>{"zeta", "alpha", "model", "data", "args"});
    CHECK(root.find("model")->keys() == std::vector<std::string>{"zz", "aa", "middle", "bb"});
    CHECK(root.find("model")->find("bb")->keys() == std::vector<std::string>{"y", "x"});
    CHECK(root.find("data")->keys() == std::vector<std::string>{"second", "first"});
}

TEST_CASE("config parse: sections written out of order sort by their first line", "[config][parse]") {
    const Node root = parse_string("[u.v]\nk = 1\n[t]\nx = 1\n[u]\nm = 2\n", "run.toml");
    CHECK(root.keys() == std::vector<std::string>{"u", "t"});
    CHECK(root.find("u")->keys() == std::vector<std::string>{"v", "m"});
}

TEST_CASE("config parse: arrays of tables keep their order", "[config][parse]") {
    const Node root = parse_string("[[cb]]\nname = \"b\"\nz = 1\na = 2\n[[cb]]\nname = \"a\"\n", "run.toml");
    const Node& list = *root.find("cb");
    REQUIRE(list.array().size() == 2);
    CHECK(list.array()[0].find("name")->as_string() == "b");
    CHECK(list.array()[0].keys() == std::vector<std::string>{"name", "z", "a"});
    CHECK(list.array()[1].find("name")->as_string() == "a");
}

TEST_CASE("config parse: malformed TOML is one line with line and column", "[config][parse]") {
    const std::string message = error_of([] { parse_file(kData / "malformed.toml", "malformed.toml"); });
    CHECK(message ==
          "error: malformed.toml:3:11: missing value after key-value separator '=': expected value, but got nothing");

    try {
        parse_string("a = 1\nb 2\n", "run.toml");
        FAIL("expected a ConfigError");
    } catch (const ConfigError& error) {
        CHECK(error.where().line == 2);
        CHECK(error.where().column == 2);
        CHECK(error.file() == "run.toml");
        CHECK(std::string(error.what()).find('\n') == std::string::npos);
        CHECK_THAT(error.what(), Catch::StartsWith("error: run.toml:2:2: missing key-value separator"));
    }
}

TEST_CASE("config parse: a key defined twice points at the second definition", "[config][parse]") {
    CHECK_THAT(error_of([] { parse_string("a = 1\na = 2\n", "run.toml"); }),
               Catch::StartsWith("error: run.toml:2:5: ") && Catch::Contains("already exists"));
}

TEST_CASE("config parse: dates are rejected with a hint", "[config][parse]") {
    CHECK(error_of([] { parse_string("when = 2024-01-02\n", "run.toml"); }) ==
          "error: run.toml:1:8: when: date and time values are not supported (write it as a string in quotes)");
}

TEST_CASE("config parse: missing or unreadable files", "[config][parse]") {
    CHECK_THAT(error_of([] { parse_file(kData / "nope.toml", "nope.toml"); }),
               Catch::StartsWith("error: nope.toml: cannot read config file ("));
    CHECK(error_of([] { parse_file(kData, "config"); }) == "error: config: cannot read config file (it is a directory, not a regular file)");
}

TEST_CASE("config parse: an empty document is an empty table", "[config][parse]") {
    const Node root = parse_string("# only a comment\n", "empty.toml");
    CHECK(root.is_table());
    CHECK(root.table().empty());
}
