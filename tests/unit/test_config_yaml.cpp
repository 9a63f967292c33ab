// YAML configs: PyYAML's reading of Lighter's configs, locations, errors, printing and composition
// with TOML files; relative references and 0.0.x's '#' separator.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/parse.hpp"
#include "config/print.hpp"

using namespace lighter::cfg;
namespace fs = std::filesystem;

namespace {

const Node& value_at(const Node& root, const std::string& path) {
    const Node* node = find_path(root, split_key_path(path));
    if (!node) FAIL("no " << path);
    return *node;
}

std::string yaml_error(const std::string& text) {
    try {
        parse_yaml_string(text, "run.yaml");
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

std::string load_error(const std::vector<std::string>& inputs) {
    try {
        load_inputs(inputs);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

class Scratch {
public:
    Scratch() {
        char name[] = "/tmp/lighter-yaml-XXXXXX";
        REQUIRE(::mkdtemp(name));
        dir_ = name;
    }
    ~Scratch() {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(dir_ / name, std::ios::binary) << text;
        return (dir_ / name).string();
    }

private:
    fs::path dir_;
};

// Captures config warnings for the duration of a test.
struct Warnings {
    std::vector<std::string> seen;
    Warnings() {
        set_warning_sink([this](const std::string& message) { seen.push_back(message); });
    }
    ~Warnings() { set_warning_sink(nullptr); }
};

}  // namespace

TEST_CASE("yaml: scalars read as PyYAML reads them", "[config][yaml]") {
    const Node root = parse_yaml_string(
        "a: 1\nb: -0x1f\nc: 0o17\nd: 010\ne: 1_000\nf: 1.5\ng: 1e-3\nh: .5\ni: -.inf\nj: .nan\n"
        "k: true\nl: no\nm: On\nn: null\no: ~\np:\nq: '1'\nr: \"null\"\ns: bf16-mixed\nt: '@model::net'\n"
        "u: 1.0e+2\nv: !!str 12\nw: !!float 3\nx: 0\ny: 007x\n",
        "run.yaml");
    CHECK(value_at(root, "a") == Node::make_int(1));
    CHECK(value_at(root, "b") == Node::make_int(-31));
    CHECK(value_at(root, "c") == Node::make_int(15));
    CHECK(value_at(root, "d") == Node::make_int(8));  // YAML 1.1: a leading 0 is octal
    CHECK(value_at(root, "e") == Node::make_int(1000));
    CHECK(value_at(root, "f") == Node::make_float(1.5));
    CHECK(value_at(root, "g") == Node::make_float(1e-3));
    CHECK(value_at(root, "h") == Node::make_float(0.5));
    CHECK(value_at(root, "i").as_float() == -INFINITY);
    CHECK(std::isnan(value_at(root, "j").as_float()));
    CHECK(value_at(root, "k") == Node::make_bool(true));
    CHECK(value_at(root, "l") == Node::make_bool(false));
    CHECK(value_at(root, "m") == Node::make_bool(true));
    CHECK(value_at(root, "n").is_null());
    CHECK(value_at(root, "o").is_null());
    CHECK(value_at(root, "p").is_null());
    CHECK(value_at(root, "q") == Node::make_string("1"));
    CHECK(value_at(root, "r") == Node::make_string("null"));
    CHECK(value_at(root, "s") == Node::make_string("bf16-mixed"));
    CHECK(value_at(root, "t") == Node::make_string("@model::net"));
    CHECK(value_at(root, "u") == Node::make_float(100.0));
    CHECK(value_at(root, "v") == Node::make_string("12"));
    CHECK(value_at(root, "w") == Node::make_float(3.0));
    CHECK(value_at(root, "x") == Node::make_int(0));
    CHECK(value_at(root, "y") == Node::make_string("007x"));
}

TEST_CASE("yaml: structure, order, locations and merge keys", "[config][yaml]") {
    const Node root = parse_yaml_string(
        "trainer:\n  max_epochs: 3\n  callbacks:\n    - _target_: X\n      patience: 2\n    - [1, 2]\n"
        "base: &base {lr: 0.1, momentum: 0.9}\nopt:\n  <<: *base\n  lr: 0.5\nz: 1\na: 2\n",
        "run.yaml");
    CHECK(root.keys() == std::vector<std::string>{"trainer", "base", "opt", "z", "a"});
    CHECK(value_at(root, "trainer::max_epochs").loc.str() == "run.yaml:2:15");
    CHECK(value_at(root, "trainer::callbacks::0::patience").loc.str() == "run.yaml:5:17");
    CHECK(value_at(root, "trainer::callbacks::1") == parse_string("x = [1, 2]", "t").table()[0].second);
    CHECK(value_at(root, "opt::lr") == Node::make_float(0.5));
    CHECK(value_at(root, "opt::momentum") == Node::make_float(0.9));
    CHECK(value_at(root, "opt").keys() == std::vector<std::string>{"lr", "momentum"});
}

TEST_CASE("yaml: bad documents are one clear error each", "[config][yaml]") {
    CHECK(yaml_error("a: [1, 2\n") == "error: run.yaml:2:1: malformed YAML: end of sequence flow not found");
    CHECK(yaml_error("a: 1\na: 2\n") ==
          "error: run.yaml:2:1: a: duplicate key 'a' in this mapping (write each key once (YAML keeps only the last))");
    CHECK(yaml_error("- 1\n- 2\n") == "error: run.yaml:1:1: a config must be a mapping of keys, got a list (write it "
                                      "as keys with values, like 'trainer:' on its own line)");
    CHECK_THAT(yaml_error("!!str abc\n"), Catch::Contains("a config must be a mapping of keys (like 'trainer:' and "
                                                          "'model:'), got a string"));
    CHECK_THAT(yaml_error("a: 1\n---\nb: 2\n"), Catch::Contains("holds more than one YAML document"));
    CHECK_THAT(yaml_error("a: !!python/object:os.system x\n"),
               Catch::StartsWith("error: run.yaml:1:4: a: YAML tag '!!python/object:os.system' is not supported"));
    CHECK_THAT(yaml_error("a: !!int abc\n"), Catch::Contains("'abc' is not a valid !!int value"));
    CHECK_THAT(yaml_error("a: 99999999999999999999\n"), Catch::Contains("does not fit a 64-bit integer"));
    CHECK_THAT(yaml_error("a: 1e999\n"), Catch::Contains("too large for a 64-bit float"));
    CHECK_THAT(yaml_error("a:\n  ? [1]\n  : 2\n"), Catch::Contains("keys must be plain names"));
    CHECK_THAT(yaml_error("a:\n\tb: 1\n"), Catch::StartsWith("error: run.yaml:2:"));
    CHECK_THAT(yaml_error("a: " + std::string(100, '[') + std::string(100, ']')), Catch::Contains("nest more than 64"));
    std::string deep = "a:\n";
    for (int i = 0; i < 3000; ++i) deep += " [\n";
    CHECK_THAT(yaml_error(deep), Catch::StartsWith("error: run.yaml:"));
    CHECK_THAT(yaml_error("a: " + std::string(70, '[') + std::string(70, ']')), Catch::Contains("nest more than 64"));
    CHECK_THAT(yaml_error("a: \xff\n"), Catch::Contains("UTF-8"));
    // An alias bomb: nine levels of ten aliases each expand to 10^9 values.
    std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 10; ++i) {
        std::string prev = "*a" + std::to_string(i - 1);
        bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) bomb += (j ? ", " : "") + prev;
        bomb += "]\n";
    }
    CHECK_THAT(yaml_error(bomb), Catch::Contains("values once its aliases are expanded"));
    // yaml-cpp 0.7 never returns from these: refused before it sees them.
    for (const std::string hang : {"[1], b\n", "{a: 1}, b\n", "\"x\", b\n", "'x', b\n", "a: 1\n---\n[1], b\n",
                                    "--- &a !t [1], b\n", "# c\n\n  [1], b\n", "%YAML 1.2\n---\n[1], b\n",
                                    "a: 1\n...\n'x', b\n", ", a\n", "a: 1\n---\n,\n", "- a\n", "? a\n", "*x\n", "|\n a\n"})
        CHECK_THAT(yaml_error(hang), Catch::Contains("a config must be a mapping of keys"));
    CHECK(parse_yaml_string("\"a::b\": 1\n'c': 2\n", "run.yaml").keys() == std::vector<std::string>{"a::b", "c"});
    CHECK(parse_yaml_string("", "run.yaml") == Node::make_table());
    CHECK(parse_yaml_string("# only a comment\n", "run.yaml") == Node::make_table());
}

TEST_CASE("yaml: to_yaml reads back to the same tree", "[config][yaml][print]") {
    const Node root = parse_string(
        "seed = 7\nname = \"yes\"\nnum = \"1e3\"\nref = \"@model::net\"\nmacro = \"%a.yaml::b\"\nexpr = \"$1 + 2\"\n"
        "empty = \"\"\nspaces = \" padded \"\nquote = \"it's \\\"q\\\"\"\nmulti = \"a\\nb\"\nf = 1.0\ng = 1e-300\n"
        "h = inf\nlst = [1, \"two\", 3.5, true]\nnested = [[1, 2], [3]]\nnone = []\ntbl = {}\n"
        "\"=key\" = 1\n\"a::b\" = 2\n\"~gone\" = true\n\"#hash\" = \"x # y\"\ncolon = \"a: b\"\n"
        "[model]\n_target_ = \"torch.nn.Linear\"\nin_features = 4\n"
        "[[trainer.callbacks]]\n_target_ = \"A\"\nlist = [{ a = 1 }, { b = [] }]\n[[trainer.callbacks]]\n_target_ = \"B\"\n",
        "run.toml");
    const std::string text = to_yaml(root);
    INFO(text);
    CHECK(parse_yaml_string(text, "printed.yaml") == root);
    CHECK_THAT(text, Catch::Contains("_target_: torch.nn.Linear\n"));
    CHECK_THAT(text, Catch::Contains("name: \"yes\"\n"));
    CHECK_THAT(text, Catch::Contains("    - _target_: A\n      list:\n"));
    Node with_null = parse_yaml_string("a: null\nb: [null, 1]\nc: {d: ~}\n", "run.yaml");
    CHECK(parse_yaml_string(to_yaml(with_null), "printed.yaml") == with_null);
    CHECK(holds_null(with_null));
    CHECK_FALSE(holds_null(root));
    CHECK_THROWS_WITH(to_text(with_null, Format::Toml),
                      Catch::Contains("TOML has no null") && Catch::Contains("--format yaml"));
    CHECK(to_yaml(Node::make_table()) == "{}\n");
}

TEST_CASE("yaml: files compose with TOML files, macros and overrides", "[config][yaml][inputs]") {
    Scratch scratch;
    const std::string base = scratch.write("base.yaml",
                                           "vars:\n  hidden: 8\n  name: run\ntrainer:\n  max_epochs: 2\n"
                                           "model:\n  net: \"%parts.yml::net\"\n  opt: {lr: 0.1}\n");
    scratch.write("parts.yml", "net:\n  _target_: torch.nn.Linear\n  out_features: \"@vars::hidden\"\n");
    const std::string more = scratch.write("more.toml", "\"~model::opt\" = true\n[trainer]\nmax_epochs = 5\n");
    Format format = Format::Toml;
    const Node root = load_inputs({base + "," + more, "args::fit::ckpt_path=null", "vars::name=None"}, &format);
    CHECK(format == Format::Yaml);
    CHECK(value_at(root, "trainer::max_epochs") == Node::make_int(5));
    CHECK(value_at(root, "model::net::out_features") == Node::make_string("@vars::hidden"));
    CHECK(value_at(root, "model::net::_target_").loc.file == (fs::path(base).parent_path() / "parts.yml").string());
    CHECK(value_at(root, "args::fit::ckpt_path").is_null());
    CHECK(value_at(root, "vars::name").is_null());
    CHECK(root.find("model")->find("opt") == nullptr);
    Format toml_first = Format::Yaml;
    load_inputs({scratch.write("first.toml", "seed = 1\n"), base}, &toml_first);
    CHECK(toml_first == Format::Toml);
}

TEST_CASE("yaml: a YAML file under another name is read as YAML, never a TOML syntax error", "[config][yaml]") {
    Scratch scratch;
    const std::string misnamed = scratch.write("config", "trainer:\n  max_epochs: 4\n");
    Format format = Format::Toml;
    const Node root = parse_file(misnamed, misnamed, &format);
    CHECK(format == Format::Yaml);
    CHECK(value_at(root, "trainer::max_epochs") == Node::make_int(4));
    const std::string broken = scratch.write("broken.toml", "[trainer\nmax_epochs = 1\n");
    CHECK_THROWS_WITH(parse_file(broken, "broken.toml"), Catch::StartsWith("error: broken.toml:1:"));
    const std::string bad_yaml = scratch.write("bad.yaml", "a: [\n");
    CHECK_THROWS_WITH(parse_file(bad_yaml, "bad.yaml"), Catch::Contains("malformed YAML"));
}

TEST_CASE("references: relative ids and the 0.0.x '#' separator", "[config][yaml][references]") {
    CHECK(absolute_reference("a::b", "x::y", {}) == "a::b");
    CHECK(absolute_reference("::b", "x::y", {}) == "x::b");
    CHECK(absolute_reference("::::b", "x::y::z", {}) == "x::b");
    CHECK(absolute_reference("::::b", "x::y", {}) == "b");
    CHECK_THROWS_WITH(absolute_reference("::::::b", "x::y", {}), Catch::Contains("above the top of the config"));
    bool hash = false;
    CHECK(absolute_reference("system#model", "", {}, &hash) == "system::model");
    CHECK(hash);

    Warnings warnings;
    Scratch scratch;
    const std::string file = scratch.write(
        "run.yaml",
        "vars:\n  lr: 0.1\nmodel:\n  net: {a: 1}\n  optimizer:\n    lr: \"@::::vars_lr\"\n    net: \"@::::net\"\n"
        "    copy: \"%::lr\"\n  vars_lr: \"@vars#lr\"\n  macro: \"%vars#lr\"\n");
    const Node root = load_inputs({file, "model#optimizer#extra=1"});
    CHECK(value_at(root, "model::optimizer::lr") == Node::make_string("@model::vars_lr"));
    CHECK(value_at(root, "model::optimizer::net") == Node::make_string("@model::net"));
    CHECK(value_at(root, "model::optimizer::copy") == Node::make_string("@model::vars_lr"));
    CHECK(value_at(root, "model::vars_lr") == Node::make_string("@vars::lr"));
    CHECK(value_at(root, "model::macro") == Node::make_float(0.1));
    CHECK(value_at(root, "model::optimizer::extra") == Node::make_int(1));
    REQUIRE(warnings.seen.size() == 3);
    CHECK_THAT(warnings.seen[0], Catch::Contains("'#' separates keys in Lighter 0.0.x"));
    CHECK_THAT(load_error({file, "x=\"@::::::::y\""}), Catch::Contains("above the top of the config"));
}
