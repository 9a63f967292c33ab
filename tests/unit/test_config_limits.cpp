// Hostile config input: nesting depth and size bounds, files that are not regular files,
// numbers out of range. Every case is one ConfigError, never a crash.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/limits.hpp"
#include "config/parse.hpp"
#include "lighter/args.hpp"

using namespace lighter::cfg;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

std::string parse_error(const std::string& text) {
    return error_of([&] { parse_string(text, "run.toml"); });
}

std::string load_error(const std::vector<std::string>& inputs) {
    return error_of([&] { load_inputs(inputs); });
}

std::string repeat(const std::string& text, size_t times) {
    std::string out;
    for (size_t i = 0; i < times; ++i) out += text;
    return out;
}

// `x = [[...[1]...]]`: the value of x, `levels` arrays deep.
std::string nested_arrays(size_t levels) { return repeat("[", levels) + "1" + repeat("]", levels); }

// A fresh directory, removed at the end of the test.
struct ScratchDir {
    fs::path path = fs::temp_directory_path() / ("lighter-limits-" + std::to_string(::getpid()));
    ScratchDir() { fs::create_directories(path); }
    ~ScratchDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    fs::path write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return path / name;
    }
};

const Node& node_at(const Node& root, const std::string& path) {
    const Node* node = find_path(root, split_key_path(path));
    REQUIRE(node != nullptr);
    return *node;
}

}  // namespace

TEST_CASE("config limits: deep arrays are an error with the limit and the place", "[config][limits]") {
    CHECK(parse_error("x = " + nested_arrays(10000) + "\n") ==
          "error: run.toml:1:68: arrays and tables nest 10001 levels deep; lighter accepts at most 64 "
          "(a config is small: flatten it)");
    // 63 arrays below x (at level 1) reach level 64: the most accepted.
    const Node root = parse_string("x = " + nested_arrays(63) + "\n", "run.toml");
    CHECK(depth_of(root) == 64);
    CHECK_THAT(parse_error("x = " + nested_arrays(64) + "\n"), Catch::Contains("nest 65 levels deep"));
    CHECK_THAT(parse_error("x = [\n" + nested_arrays(9999) + "\n]\n"), Catch::StartsWith("error: run.toml:2:"));
}

TEST_CASE("config limits: deep inline tables, long dotted keys and headers are errors", "[config][limits]") {
    const std::string tables = "x = " + repeat("{a = ", 5000) + "1" + repeat("}", 5000) + "\n";
    CHECK_THAT(parse_error(tables), Catch::Contains("nest 5001 levels deep; lighter accepts at most 64"));

    std::string header = "[a";
    for (int i = 1; i < 30000; ++i) header += ".a";
    CHECK_THAT(parse_error("x = 1\n" + header + "]\n"),
               Catch::StartsWith("error: run.toml:2:1: arrays and tables nest 30000 levels deep"));
    CHECK_THAT(parse_error("x = 1\n" + header + "]\ny = 2\n"), Catch::Contains("nest 30001 levels deep"));
    CHECK_THAT(parse_error(header.substr(1) + " = 1\n"), Catch::Contains("nest 30000 levels deep"));
    CHECK_THAT(parse_error("[[" + header.substr(1) + "]]\n"), Catch::Contains("nest 30001 levels deep"));

    // Quoted keys with `::` are paths when files compose: each part is a level.
    std::string path_key = "\"a";
    for (int i = 1; i < 30000; ++i) path_key += "::a";
    CHECK_THAT(parse_error(path_key + "\" = 1\n"), Catch::Contains("nest 30000 levels deep"));
    CHECK_THAT(parse_error("t = {" + path_key + "\" = 1}\n"), Catch::Contains("nest 30001 levels deep"));
}

TEST_CASE("config limits: brackets in strings and comments do not count", "[config][limits]") {
    const std::string brackets = repeat("[{", 500);
    const Node root = parse_string("a = \"" + brackets + "\"\nb = '" + brackets + "' # " + brackets + "\n" +
                                       "c = \"\"\"\n" + brackets + "\"\"\"\"\nd = '''" + brackets + "'''\n" +
                                       "e = \"\\\"" + brackets + "\"\n[\"" + brackets + "\"]\nf = [\"]\", '}']\n",
                                   "run.toml");
    CHECK(node_at(root, "a").as_string() == brackets);
    CHECK(node_at(root, "c").as_string() == brackets + "\"");
    CHECK(node_at(root, "e").as_string() == "\"" + brackets);
    CHECK(root.find(brackets)->find("f")->array().size() == 2);
}

TEST_CASE("config limits: overrides are bounded like files", "[config][limits]") {
    std::string key = "a";
    for (int i = 1; i < 30000; ++i) key += "::a";
    CHECK_THAT(load_error({key + "=1"}),
               Catch::Contains("the key path of override '" + key.substr(0, 80) +
                               "...' has 30000 parts; lighter accepts at most 64"));
    CHECK_THAT(load_error({"~" + key}), Catch::Contains("has 30000 parts"));
    // A value nested too deep is an error, not a plain string.
    CHECK_THAT(load_error({"x=" + nested_arrays(10000)}),
               Catch::StartsWith("error: <override>:1:72: arrays and tables nest 10001 levels deep"));
    CHECK_THAT(load_error({"x=" + repeat("[", 10000)}), Catch::Contains("levels deep; lighter accepts at most 64"));
    // A long value is an error too, not a plain string.
    CHECK(load_error({"x=[" + repeat("1,", 3000) + "]"}) ==
          "error: <override>:1:4097: line 1 has 6010 characters; lighter accepts at most 4096 a line "
          "(break it over several lines)");
    // The path and the value together.
    CHECK_THAT(load_error({repeat("a::", 40) + "b=" + nested_arrays(30)}),
               Catch::Contains("nests arrays and tables 71 levels deep; lighter accepts at most 64"));
    CHECK(depth_of(load_inputs({repeat("a::", 40) + "b=" + nested_arrays(23)})) == 64);
}

TEST_CASE("config limits: macro chains, copies and depth are bounded", "[config][limits]") {
    std::string chain;
    for (int i = 0; i < 5000; ++i) chain += "m" + std::to_string(i) + " = \"%m" + std::to_string(i + 1) + "\"\n";
    chain += "m5000 = 1\n";
    CHECK_THAT(error_of([&] {
                   Node root = parse_string(chain, "run.toml");
                   expand_macros(root);
               }),
               Catch::Contains("macros copy through more than 64 other macros"));

    // Each list holds two copies of the one before: 2^40 values if nothing stopped it.
    std::string doubling = "l0 = [1, 2]\n";
    for (int i = 1; i <= 40; ++i)
        doubling += "l" + std::to_string(i) + " = [\"%l" + std::to_string(i - 1) + "\", \"%l" + std::to_string(i - 1) + "\"]\n";
    CHECK_THAT(error_of([&] {
                   Node root = parse_string(doubling, "run.toml");
                   expand_macros(root);
               }),
               Catch::Contains("macros copy more than 1048576 values in all"));

    // Copies that each add levels: t1 holds t0's 30 levels 30 levels down (61 in all), t2 would hold 91.
    std::string deepening = "t0 = " + nested_arrays(30) + "\n";
    for (int i = 1; i <= 2; ++i)
        deepening += "t" + std::to_string(i) + " = " + repeat("[", 30) + "\"%t" + std::to_string(i - 1) + "\"" +
                     repeat("]", 30) + "\n";
    CHECK(error_of([&] {
              Node root = parse_string(deepening, "run.toml");
              expand_macros(root);
          }) == "error: run.toml:3:36: t2::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0::0: "
                "macro '%t1' makes arrays and tables nest 91 levels deep; lighter accepts at most 64 "
                "(a config is small: flatten it)");
}

TEST_CASE("config limits: long lines are errors", "[config][limits]") {
    CHECK(parse_error("a = 1\nb = [" + repeat("1, ", 2000) + "]\n") ==
          "error: run.toml:2:4097: line 2 has 6006 characters; lighter accepts at most 4096 a line "
          "(break it over several lines)");
    const std::string longest = "s = \"" + std::string(kMaxLineBytes - 6, 'x') + "\"";
    CHECK(parse_string(longest + "\n", "run.toml").find("s")->as_string().size() == kMaxLineBytes - 6);
    CHECK_THAT(parse_error(longest + "x\n"), Catch::Contains("line 1 has 4097 characters"));
}

TEST_CASE("config limits: tables hold at most 10000 keys; deletions stay linear", "[config][limits]") {
    std::string keys;
    for (size_t i = 0; i <= kMaxTableKeys; ++i) keys += "k" + std::to_string(i) + " = 1\n";
    const ScratchDir dir;
    CHECK_THAT(load_error({dir.write("keys.toml", keys).string()}),
               Catch::Contains(":10001:10: k10000: a table holds more than 10000 keys"));
    std::string path_keys;  // the same through path keys into one table
    for (size_t i = 0; i <= kMaxTableKeys; ++i) path_keys += "\"t::k" + std::to_string(i) + "\" = 1\n";
    CHECK_THAT(load_error({dir.write("path_keys.toml", path_keys).string()}),
               Catch::Contains("t::k10000: a table holds more than 10000 keys"));

    std::string items = "list = [", indices = "\"~list\" = [", names = "\"~table\" = [";
    std::string table = "[table]\n";
    for (int i = 0; i < 5000; ++i) {
        items += std::to_string(i) + ",\n";
        indices += std::to_string(2 * (i / 2)) + ",\n";  // the even items, each twice
        table += "k" + std::to_string(i) + " = 1\n";
        if (i % 2 == 0) names += "\"k" + std::to_string(i) + "\",\n";
    }
    const Node root = load_inputs({dir.write("many.toml", items + "]\n" + table).string(),
                                   dir.write("delete.toml", indices + "]\n" + names + "]\n").string()});
    REQUIRE(root.find("list")->array().size() == 2500);
    CHECK(root.find("list")->array()[0].as_int() == 1);
    CHECK(root.find("list")->array()[2499].as_int() == 4999);
    REQUIRE(root.find("table")->table().size() == 2500);
    CHECK(root.find("table")->table()[0].first == "k1");
}

TEST_CASE("config limits: text that is not UTF-8 is an error", "[config][limits]") {
    CHECK(parse_error("a = 1\ns = 'x\xA1'\n") ==
          "error: run.toml:2:7: invalid UTF-8 (byte 0xA1); a config is UTF-8 text (save the file as UTF-8)");
    CHECK_THAT(parse_error("\xED\xA0\x80 = 1\n"), Catch::Contains("run.toml:1:1: invalid UTF-8 (byte 0xED)"));  // a surrogate
    CHECK_THAT(parse_error("s = \"\xC0\xAF\"\n"), Catch::Contains("(byte 0xC0)"));                               // overlong
    CHECK_THAT(parse_error("s = \"\xF4\x90\x80\x80\"\n"), Catch::Contains("(byte 0xF4)"));                      // > U+10FFFF
    CHECK_THAT(parse_error("s = \"\xE2\x82\"\n"), Catch::Contains("(byte 0xE2)"));                                // cut short
    CHECK(parse_string("\xEF\xBB\xBFs = \"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"\n", "run.toml").find("s")->as_string() ==
          "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST_CASE("config limits: inputs the fuzzer found parse without a crash", "[config][limits]") {
    // Found by tools/fuzz: each once crashed or hung the parser; now each is an error or a value.
    size_t files = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(LIGHTER_TEST_DATA_DIR) / "config" / "fuzz_findings")) {
        INFO(entry.path());
        CHECK_THAT(error_of([&] { load_inputs({entry.path().string()}); }), Catch::StartsWith("error: ") || Catch::Equals("(no error)"));
        ++files;
    }
    CHECK(files > 0);
}

TEST_CASE("config limits: only regular files of a sane size are read", "[config][limits]") {
    const ScratchDir dir;
    CHECK(error_of([] { parse_file("/dev/zero", "/dev/zero"); }) ==
          "error: /dev/zero: cannot read config file (it is a character device, not a regular file)");
    CHECK(error_of([] { parse_file("/dev/urandom", "/dev/urandom"); }) ==
          "error: /dev/urandom: cannot read config file (it is a character device, not a regular file)");
    const fs::path fifo = dir.path / "pipe.toml";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(error_of([&] { parse_file(fifo, "pipe.toml"); }) ==
          "error: pipe.toml: cannot read config file (it is a FIFO, not a regular file)");
    CHECK_THAT(load_error({dir.path.string()}), Catch::EndsWith("cannot read config file (it is a directory, not a regular file)"));

    const fs::path big = dir.write("big.toml", "a = 1\n");
    fs::resize_file(big, kMaxConfigBytes + 1);  // sparse: cheap
    CHECK(error_of([&] { parse_file(big, "big.toml"); }) ==
          "error: big.toml: cannot read config file (it has 1048577 bytes; lighter reads at most 1 MiB "
          "(a config is small: is this the right file?))");
    CHECK_THAT(load_error({dir.write("uses_big.toml", "b = \"%big.toml::a\"\n").string()}),
               Catch::Contains("macro '%big.toml::a': cannot read config file '" + big.string() +
                               "' (it has 1048577 bytes; lighter reads at most 1 MiB"));
    // At the limit: read.
    std::string comments = "a = 1\n";
    while (comments.size() < kMaxConfigBytes) comments += "#" + std::string(std::min<size_t>(98, kMaxConfigBytes - comments.size() - 1), 'x') + "\n";
    comments.resize(kMaxConfigBytes);
    CHECK(parse_file(dir.write("at_limit.toml", comments), "at_limit.toml").find("a")->as_int() == 1);

    CHECK(load_error({dir.write("uses_pipe.toml", "c = \"%pipe.toml\"\n").string()}) ==
          "error: " + (dir.path / "uses_pipe.toml").string() + ":1:5: c: macro '%pipe.toml': cannot read config file '" +
              fifo.string() + "' (it is a FIFO, not a regular file)");
    fs::create_symlink("/dev/zero", dir.path / "zero.toml");
    CHECK_THAT(load_error({dir.write("uses_zero.toml", "a = \"%zero.toml\"\n").string()}),
               Catch::Contains("zero.toml' (it is a character device, not a regular file)"));
    CHECK_THAT(load_error({"a=%" + (dir.path / "zero.toml").string()}),
               Catch::Contains("zero.toml' (it is a character device, not a regular file)"));
}

TEST_CASE("config limits: integers beyond 64 bits are errors, not saturated", "[config][limits]") {
    CHECK(parse_error("[trainer]\nmax_epochs = 99999999999999999999\n") ==
          "error: run.toml:2:14: trainer::max_epochs: 99999999999999999999 does not fit a 64-bit integer "
          "(the greatest is 9223372036854775807) (write a smaller number)");
    CHECK_THAT(parse_error("x = -9_223_372_036_854_775_809\n"),
               Catch::Contains("x: -9_223_372_036_854_775_809 does not fit a 64-bit integer (the least is -9223372036854775808)"));
    CHECK_THAT(parse_error("x = [1, 0xffffffffffffffff]\n"), Catch::Contains("x::1: 0xffffffffffffffff does not fit"));
    CHECK_THAT(parse_error("x = {y = 0o7777777777777777777777}\n"), Catch::Contains("x::y: 0o7777777777777777777777"));
    CHECK_THAT(parse_error("x = +9223372036854775808\n"), Catch::Contains("does not fit a 64-bit integer"));
    const Node root = parse_string("max = 9223372036854775807\nmin = -9223372036854775808\nhex = 0x7fffffffffffffff\n"
                                   "plus = +9_223_372_036_854_775_807\n",
                                   "run.toml");
    CHECK(root.find("max")->as_int() == std::numeric_limits<std::int64_t>::max());
    CHECK(root.find("min")->as_int() == std::numeric_limits<std::int64_t>::min());
    CHECK(root.find("hex")->as_int() == std::numeric_limits<std::int64_t>::max());
    CHECK(root.find("plus")->as_int() == std::numeric_limits<std::int64_t>::max());
    CHECK(load_error({"trainer::max_epochs=99999999999999999999"}) ==
          "error: <override>: trainer::max_epochs: 99999999999999999999 does not fit a 64-bit integer "
          "(the greatest is 9223372036854775807) (write a smaller number)");
    CHECK_THAT(load_error({"lr=[1e999]"}), Catch::Contains("<override>: lr::0: 1e999 is too large for a 64-bit float"));
}

TEST_CASE("config limits: floats beyond the double range are errors; inf and nan parse", "[config][limits]") {
    CHECK(parse_error("[model.optimizer]\nlr = 1e400\n") ==
          "error: run.toml:2:6: model::optimizer::lr: 1e400 is too large for a 64-bit float (the greatest is about "
          "1.8e308) (write inf if you mean infinity)");
    CHECK_THAT(parse_error("x = [-1_0e4_00]\n"), Catch::Contains("x::0: -1_0e4_00 is too large"));
    CHECK_THAT(parse_error("x = 1.8e308\n"), Catch::Contains("is too large"));
    const Node root = parse_string("max = 1.7976931348623157e308\ntiny = 1e-400\ninf = inf\nninf = -inf\nnan = nan\n",
                                   "run.toml");
    CHECK(root.find("max")->as_float() == std::numeric_limits<double>::max());
    CHECK(root.find("tiny")->as_float() == 0.0);
    CHECK(std::isinf(root.find("inf")->as_float()));
    CHECK(std::isinf(root.find("ninf")->as_float()));
    CHECK(std::isnan(root.find("nan")->as_float()));
}

namespace {
// The SDK's Args over one plain value, as a factory would see it.
class OneValueArgs : public lighter::Args {
public:
    explicit OneValueArgs(lighter::Value value) : Args("Test", "model"), value_(std::move(value)) {}
    lighter::Value value(const std::string&) const override { return value_; }
    lighter::ObjectPtr object(const std::string&) const override { return nullptr; }
    std::vector<lighter::ObjectPtr> objects(const std::string&) const override { return {}; }

private:
    lighter::Value value_;
};

std::string narrowing_error(const std::function<void()>& action) {
    try {
        action();
    } catch (const lighter::ParamError& error) {
        return error.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE("config limits: integers narrowed by a component must fit", "[config][limits]") {
    const OneValueArgs big(lighter::Value(int64_t{3'000'000'000}));
    CHECK(narrowing_error([&] { big.get<int>("width"); }) ==
          "model::width: expected an integer from -2147483648 to 2147483647, got 3000000000");
    CHECK(big.get<int64_t>("width") == 3'000'000'000);
    CHECK(big.get<uint32_t>("width") == 3'000'000'000u);
    const OneValueArgs negative(lighter::Value(int64_t{-1}));
    CHECK(narrowing_error([&] { negative.get<size_t>("n"); }) ==
          "model::n: expected an integer from 0 to 18446744073709551615, got -1");
    CHECK(narrowing_error([&] { negative.get<std::vector<uint8_t>>("n"); }) == "model::n: expected a list, got integer -1");
    const OneValueArgs list(lighter::Value(lighter::Value::Array{int64_t{1}, int64_t{300}}));
    CHECK(narrowing_error([&] { list.get<std::vector<uint8_t>>("sizes"); }) ==
          "model::sizes::1: expected an integer from 0 to 255, got 300");
    const OneValueArgs huge(lighter::Value(1e300));
    CHECK_THAT(narrowing_error([&] { huge.get<float>("x"); }), Catch::StartsWith("model::x: expected a number of at most"));
    CHECK(huge.get<double>("x") == 1e300);
}
