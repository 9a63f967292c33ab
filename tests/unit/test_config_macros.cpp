#include <catch2/catch.hpp>
#include <filesystem>

#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/parse.hpp"

using namespace lighter::cfg;
namespace fs = std::filesystem;

namespace {
const std::string kMacros = (fs::path(LIGHTER_TEST_DATA_DIR) / "config" / "macros").string();

Node expanded(const std::string& text) {
    Node root = parse_string(text, "run.toml");
    expand_macros(root);
    return root;
}

std::string expand_error(const std::string& text) {
    try {
        expanded(text);
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

const Node& node_at(const Node& root, const std::string& path) {
    const Node* node = find_path(root, split_key_path(path));
    REQUIRE(node != nullptr);
    return *node;
}

// Restores the working directory when it goes out of scope.
struct WorkingDirectory {
    fs::path saved = fs::current_path();
    explicit WorkingDirectory(const fs::path& dir) { fs::current_path(dir); }
    ~WorkingDirectory() { fs::current_path(saved); }
};
}  // namespace

TEST_CASE("config macros: a local macro copies the raw value", "[config][macros]") {
    const Node root = expanded("[vars]\nhidden = 8\nnet = { width = 2, depth = [1, 2] }\n"
                               "[model]\nwidth = \"%vars::hidden\"\nnet = \"%vars::net\"\nfirst = \"%vars::net::depth::0\"\n"
                               "last = \"%vars::net::depth::-1\"\n");
    CHECK(node_at(root, "model::width") == Node::make_int(8));
    CHECK(node_at(root, "model::net") == node_at(root, "vars::net"));
    CHECK(node_at(root, "model::first").as_int() == 1);
    CHECK(node_at(root, "model::last").as_int() == 2);
    CHECK(node_at(root, "model::width").loc.str() == "run.toml:2:10");  // where the copied value was written
}

TEST_CASE("config macros: copies are deep and independent", "[config][macros]") {
    Node root = expanded("a = { l = [1] }\nb = \"%a\"\n");
    root.find("b")->find("l")->array().push_back(Node::make_int(2));
    CHECK(node_at(root, "a::l").array().size() == 1);
}

TEST_CASE("config macros: nested macros expand in any order", "[config][macros]") {
    const Node root = expanded("x = \"%y::z\"\ny = \"%w\"\nw = { z = \"%v\" }\nv = 3\n");
    CHECK(node_at(root, "x").as_int() == 3);
    CHECK(node_at(root, "y") == parse_string("z = 3", "t"));
    CHECK(node_at(root, "w::z").as_int() == 3);
}

TEST_CASE("config macros: files, subfolders and whole files", "[config][macros]") {
    const Node root = load_inputs({kMacros + "/main.toml"});
    CHECK(node_at(root, "model::optimizer") == parse_string("_target_ = \"torch.optim.Adam\"\nlr = 0.01\n", "t"));
    CHECK(node_at(root, "model::network::_target_").as_string() == "torch.nn.Sequential");
    CHECK(node_at(root, "model::network::_args_::0::out_features").as_int() == 16);  // macro inside the other file
    CHECK(node_at(root, "model::layers::_target_").as_string() == "torch.nn.ReLU");
    CHECK(node_at(root, "model::trainer_copy") == parse_string("max_epochs = 5\nwidth = 16\n", "t"));
}

TEST_CASE("config macros: override macros resolve against the working directory", "[config][macros]") {
    const WorkingDirectory cwd(kMacros);
    const Node root = load_inputs({"model::net=%shared.toml::network::_args_::1", "vars::all=%sub/trainer.toml"});
    CHECK(node_at(root, "model::net::_target_").as_string() == "torch.nn.ReLU");
    CHECK(node_at(root, "vars::all::width").as_int() == 16);
}

TEST_CASE("config macros: a missing key names the macro and suggests", "[config][macros]") {
    CHECK(expand_error("[vars]\nhidden = 1\n[model]\nw = \"%vars::hiden\"\n") ==
          "error: run.toml:4:5: model::w: macro '%vars::hiden': 'vars' has no key 'hiden' (did you mean 'hidden'?)");
    CHECK(expand_error("w = \"%nothing\"\n") == "error: run.toml:1:5: w: macro '%nothing': the config has no key 'nothing'");
    CHECK(expand_error("l = [1]\nw = \"%l::3\"\n") ==
          "error: run.toml:2:5: w: macro '%l::3': 'l' has no list index 3 (the list has 1 item)");
    CHECK(expand_error("s = 1\nw = \"%s::x\"\n") ==
          "error: run.toml:2:5: w: macro '%s::x': 's' is an integer, it has no key 'x'");
    CHECK(expand_error("w = \"%a::::b\"\n") ==
          "error: run.toml:1:5: w: macro '%a::::b': the key path has an empty part "
          "(write it like '%a::b', '%::sibling' or '%other.yaml::a::b')");
    CHECK_THAT(expand_error("w = \"%\"\n"), Catch::Contains("macro '%' names nothing"));
    CHECK(load_error({kMacros + "/missing.toml"}) ==
          "error: " + kMacros + "/missing.toml:2:11: model::network: macro '%shared.toml::netwrk': " + kMacros +
              "/shared.toml has no key 'netwrk' (did you mean 'network'?)");
}

TEST_CASE("config macros: a missing file names the macro and the path", "[config][macros]") {
    CHECK(load_error({kMacros + "/missing_file.toml"}) ==
          "error: " + kMacros + "/missing_file.toml:2:11: model::network: macro '%nowhere.toml::network': "
          "cannot read config file '" + kMacros + "/nowhere.toml' (no such file)");
    CHECK_THAT(expand_error("w = \"%sub.toml\"\n"), Catch::Contains("cannot read config file 'sub.toml' (no such file)"));
}

TEST_CASE("config macros: cycles report the chain", "[config][macros]") {
    CHECK(load_error({kMacros + "/cycle.toml"}) ==
          "error: " + kMacros + "/cycle.toml:2:5: vars::a: macro cycle: vars::a ('%vars::b') -> "
          "vars::b::c ('%vars::a') -> vars::a ('%vars::b') (a macro cannot copy a value that contains itself)");
    CHECK_THAT(expand_error("a = { x = \"%a\" }\n"), Catch::Contains("macro cycle: a::x ('%a') -> a::x ('%a')"));
    CHECK_THAT(expand_error("a = \"%a\"\n"), Catch::Contains("macro cycle: a ('%a') -> a ('%a')"));
}

TEST_CASE("config macros: a macro source file reads as it would on its own", "[config][macros]") {
    const Node root = load_inputs({"x=%" + kMacros + "/shared.toml::edited"});
    CHECK(node_at(root, "x") == parse_string("plain = 1\nnested = { key = 2 }\n", "t"));
}

TEST_CASE("config macros: a macro may copy a sibling inside its own table", "[config][macros]") {
    const Node root = expanded("[a]\nb = 1\nc = \"%a::b\"\n");
    CHECK(node_at(root, "a::c").as_int() == 1);
}

TEST_CASE("config macros: an override reaching into a macro edits the copy", "[config][macros]") {
    const Node root = load_inputs({kMacros + "/main.toml", "model::network::_args_::0::out_features=32",
                                   "model::optimizer::lr=0.5"});
    CHECK(node_at(root, "model::network::_args_::0::out_features").as_int() == 32);
    CHECK(node_at(root, "model::network::_target_").as_string() == "torch.nn.Sequential");  // the rest of the copy stays
    CHECK(node_at(root, "model::optimizer::lr").as_number() == 0.5);
    CHECK(node_at(root, "model::optimizer::_target_").as_string() == "torch.optim.Adam");
    // The file the macro copies is not changed: another copy of it keeps its value.
    const Node plain = load_inputs({kMacros + "/main.toml"});
    CHECK(node_at(plain, "model::network::_args_::0::out_features").as_int() == 16);
}
