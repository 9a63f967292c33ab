#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/parse.hpp"

using namespace lighter::cfg;

namespace {
const std::string kData = (std::filesystem::path(LIGHTER_TEST_DATA_DIR) / "config").string();
const std::string kBase = kData + "/base.toml";

std::string load_error(const std::vector<std::string>& inputs, bool run_layout = false) {
    try {
        load_inputs(inputs, nullptr, run_layout);
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

// The value an override `key=text` stores.
Node override_value(const std::string& text) { return node_at(load_inputs({"v=" + text}), "v"); }
}  // namespace

TEST_CASE("config inputs: files apply left to right", "[config][inputs]") {
    const Node root = load_inputs({kBase, kData + "/overlay.toml"});
    Node expected = parse_file(kBase, "base.toml");
    merge_into(expected, parse_file(kData + "/overlay.toml", "overlay.toml"));
    CHECK(root == expected);
    CHECK(node_at(root, "trainer::max_epochs").loc.file == kData + "/overlay.toml");
}

TEST_CASE("config inputs: a comma list equals separate files", "[config][inputs]") {
    const std::string overlay = kData + "/overlay.toml", extra = kData + "/extra.toml";
    CHECK(load_inputs({kBase + "," + overlay + "," + extra}) == load_inputs({kBase, overlay, extra}));
    CHECK(node_at(load_inputs({kBase + "," + extra}), "vars::extra").as_bool());
    CHECK(load_error({kBase + ","}) ==
          "error: empty config file name in input '" + kBase + ",' (list files like a.toml,b.toml)");
    CHECK_THAT(load_error({kData + "/absent.toml"}),
               Catch::StartsWith("error: " + kData + "/absent.toml: cannot read config file"));
}

TEST_CASE("config inputs: an override sets a value at a path", "[config][inputs]") {
    const Node root = load_inputs({kBase, "trainer::max_epochs=50", "trainer::callbacks::0::patience=10",
                                   "vars::hidden=512", "args::fit::ckpt_path=last"});
    CHECK(node_at(root, "trainer::max_epochs").as_int() == 50);
    CHECK(node_at(root, "trainer::callbacks::0::patience").as_int() == 10);
    CHECK(node_at(root, "vars::hidden").as_int() == 512);
    CHECK(node_at(root, "args::fit::ckpt_path").as_string() == "last");
    CHECK(node_at(root, "trainer::max_epochs").loc.str() == "<override>");
    CHECK(node_at(root, "trainer::callbacks::-1::path").as_string() == "preds.csv");  // untouched
}

TEST_CASE("config inputs: override values parse as TOML, else as plain strings", "[config][inputs]") {
    CHECK(override_value("1e-3") == Node::make_float(1e-3));
    CHECK(override_value("16") == Node::make_int(16));
    CHECK(override_value("true") == Node::make_bool(true));
    CHECK(override_value("\"s\"") == Node::make_string("s"));
    CHECK(override_value("[0,1]") == Node::make_array({Node::make_int(0), Node::make_int(1)}));
    CHECK(override_value("{a=1}") == Node::make_table({{"a", Node::make_int(1)}}));
    CHECK(override_value("bf16-mixed") == Node::make_string("bf16-mixed"));
    CHECK(override_value("32-true") == Node::make_string("32-true"));
    CHECK(override_value("a=b") == Node::make_string("a=b"));  // splits at the first '='
    CHECK(override_value("") == Node::make_string(""));
    CHECK(override_value("1\nw = 2") == Node::make_string("1\nw = 2"));  // one value only
    CHECK(override_value("2024-01-02") == Node::make_string("2024-01-02"));
}

TEST_CASE("config inputs: override tables merge, other values replace", "[config][inputs]") {
    const Node root = load_inputs({kBase, "model::optimizer={lr=0.5}", "vars::tags=[\"cli\"]"});
    CHECK(node_at(root, "model::optimizer::lr").as_float() == 0.5);
    CHECK(node_at(root, "model::optimizer::_target_").as_string() == "torch.optim.Adam");
    CHECK(node_at(root, "vars::tags") == Node::make_array({Node::make_string("cli")}));
}

TEST_CASE("config inputs: =key=VALUE replaces and ~key deletes", "[config][inputs]") {
    const Node root = load_inputs({kBase, "=model::optimizer={_target_=\"torch.optim.SGD\"}", "~vars::hidden",
                                   "~trainer::callbacks=[0]", "~model::network::_args_::-1"});
    CHECK(node_at(root, "model::optimizer").keys() == std::vector<std::string>{"_target_"});
    CHECK(node_at(root, "vars").keys() == std::vector<std::string>{"tags"});
    CHECK(node_at(root, "trainer::callbacks").array().size() == 1);
    CHECK(node_at(root, "trainer::callbacks::0::_target_").as_string() == "lighter.callbacks.CsvWriter");
    CHECK(node_at(root, "model::network::_args_").array().size() == 1);
}

TEST_CASE("config inputs: dots in override keys are plain key characters", "[config][inputs]") {
    const Node root = load_inputs({"a.b=1"});
    CHECK(root.keys() == std::vector<std::string>{"a.b"});
}

TEST_CASE("config inputs: malformed overrides name the input", "[config][inputs]") {
    CHECK(load_error({"=trainer::max_epochs"}) ==
          "error: <override>: malformed override '=trainer::max_epochs': expected KEY=VALUE "
          "(write it like a::b=VALUE, =a::b=VALUE or ~a::b)");
    CHECK_THAT(load_error({"=5"}), Catch::Contains("malformed override '=5': expected KEY=VALUE"));
    CHECK(load_error({"a::::b=1"}) ==
          "error: <override>: a::::b: malformed override 'a::::b=1': the key path has an empty part "
          "(separate keys with '::', like model::optimizer::lr=0.01)");
    CHECK_THAT(load_error({"=x=1", "~"}), Catch::Contains("malformed override '~': the key path has an empty part"));
    CHECK(load_error({kBase, "model::task::x=1"}) ==
          "error: <override>: model::task: cannot reach 'x': the value here is a string, not a table or list "
          "(in override 'model::task::x=1')");
    CHECK(load_error({kBase, "trainer::callbacks::5::patience=1"}) ==
          "error: <override>: trainer::callbacks: list index 5 is out of range (the list has 2 items) "
          "(in override 'trainer::callbacks::5::patience=1')");
    CHECK(load_error({kBase, "~vars::hiden"}) ==
          "error: <override>: vars::hiden: cannot delete: no such key; existing keys: 'hidden', 'tags' "
          "(in override '~vars::hiden') (did you mean 'hidden'?)");
}

TEST_CASE("config inputs: Python-only features are rejected, `$` expressions evaluated", "[config][inputs]") {
    CHECK(*find_path(load_inputs({"model::lr=$1e-3 * 2"}), {"model", "lr"}) == Node::make_float(0.002));
    CHECK_THAT(load_error({"model::lr=$torch.cuda.device_count()"}),
               Catch::StartsWith("error: <override>: model::lr: `$` expression '$torch.cuda.device_count()': 'torch' is "
                                 "not supported (at character 2) (a `$` expression may use numbers"));
    CHECK(load_error({"model::_target_=x", "model::_mode_=callable"}) ==
          "error: <override>: model::_mode_: `_mode_ = \"callable\"` hands Python a function or class to call later; "
          "lighter builds every component, and a parameter that takes a function takes it by name (FileWriter's "
          "writer_fn = \"tensor\"; a plugin registers more) or as the component itself (remove `_mode_` and give the "
          "component, or the function's name)");
    CHECK(load_error({"model::_target_=x", "model::_mode_=partial"}) ==
          "error: <override>: model::_mode_: expected \"default\", \"callable\" or \"debug\", got \"partial\"");
    CHECK(load_error({"model::_mode_=debug"}) ==
          "error: <override>: model::_mode_: `_mode_` applies to a component (a table with _target_) (remove it, or "
          "add _target_)");
    CHECK_NOTHROW(load_inputs({"model::_target_=x", "model::_mode_=debug", "data::_target_=y", "data::_mode_=default"}));
    CHECK(load_error({"model::_requires_=[\"@x\"]"}) ==
          "error: <override>: model::_requires_: `_requires_` is Python-only and not supported; remove it, "
          "dependencies are resolved through `@` references");
    CHECK_NOTHROW(check_python_only(parse_string("a = \"@model::network\"\nb = \"price in $\"\n", "run.toml")));
}

TEST_CASE("config inputs: unknown top-level keys are listed for a warning", "[config][inputs]") {
    const Node root = parse_string("seed = 1\nextra = 2\n[trainer]\n[model]\n[data]\n[args]\n[vars]\n[defaults]\n",
                                   "run.toml");
    CHECK(unknown_top_level_keys(root) == std::vector<std::string>{"extra", "defaults"});
    CHECK(unknown_top_level_keys(load_inputs({kBase})).empty());
}

TEST_CASE("config inputs: a run's overrides cannot make top-level keys without meaning", "[config][inputs]") {
    CHECK(load_error({kBase, "system::optimizer::lr=0.001"}, true) ==
          "error: <override>: system::optimizer::lr: override 'system::optimizer::lr=0.001' is written for Lighter "
          "0.0.x's `system` layout; no config file has a `system` table and lighter gives it no meaning (today this "
          "is model::optimizer::lr)");
    CHECK_THAT(load_error({kBase, "system::dataloaders::train::batch_size=8"}, true),
               Catch::EndsWith("(today this is data::train_dataloader::batch_size)"));
    CHECK_THAT(load_error({kBase, "system#model#x=1"}, true), Catch::EndsWith("(today this is model::network::x)"));
    CHECK_THAT(load_error({kBase, "system::postprocessing::x=1"}, true),
               Catch::Contains("(today a LighterModule under `model`"));
    CHECK(load_error({kBase, "modle::x=1"}, true) ==
          "error: <override>: modle::x: override 'modle::x=1' creates the top-level key 'modle', which no config file "
          "has and which has no meaning to lighter (did you mean 'model'?)");
    CHECK_THAT(load_error({kBase, "zzz=1"}, true), Catch::EndsWith("(top-level keys: 'trainer', 'model', 'data', "
                                                                    "'args', 'vars', 'seed')"));
    // Known keys, keys a file has (before or after the override) and plain config-language loads pass.
    CHECK_NOTHROW(load_inputs({kBase, "seed=3", "args::fit::ckpt_path=last"}, nullptr, true));
    CHECK_NOTHROW(load_inputs({"defaults::lr=0.1", kBase, kData + "/defaults.toml"}, nullptr, true));
    CHECK_NOTHROW(load_inputs({kBase, "system::optimizer::lr=0.001"}));
}

TEST_CASE("config inputs: Lighter 0.0.x's system layout gets one message mapping its keys", "[config][inputs]") {
    const std::string old = (std::filesystem::temp_directory_path() / "lighter_old_layout.toml").string();
    {
        std::ofstream out(old);
        out << "[system]\n_target_ = \"lighter.System\"\nbatch_size = 8\n[system.model]\n_target_ = \"x\"\n"
               "[system.optimizer]\nlr = 0.1\n[system.metrics]\ntrain = []\n[system.dataloaders.train]\nx = 1\n"
               "[system.postprocessing]\n";
    }
    CHECK(load_error({old}, true) ==
          "error: " + old + ":1:1: system: this is Lighter 0.0.x's `system` layout, which lighter does not read: "
          "system::_target_ -> model::_target_, system::batch_size -> data::<stage>_dataloader::batch_size, "
          "system::model -> model::network, system::optimizer -> model::optimizer, system::metrics -> "
          "model::{train,val,test}_metrics, system::dataloaders -> data::{train,val,test,predict}_dataloader, "
          "system::postprocessing -> (no counterpart) (today a LighterModule under `model` (_target_ = "
          "\"lighter.SupervisedModule\" or your own) holds network, criterion, optimizer, scheduler and "
          "{train,val,test}_metrics, and `data` (_target_ = \"lighter.LighterDataModule\") holds "
          "{train,val,test,predict}_dataloader)");
    CHECK_NOTHROW(load_inputs({old}));  // the config language alone has no layout
    std::filesystem::remove(old);
}

TEST_CASE("config errors: several found in one run are listed, at most 20", "[config][inputs]") {
    std::vector<ConfigError> errors;
    errors.emplace_back("first", "model::a", Location{"run.toml", 3, 5});
    errors.emplace_back("second", "data::b", Location{}, "a hint");
    CHECK(std::string(ConfigErrors({errors.front()}).what()) == "error: run.toml:3:5: model::a: first");
    const ConfigErrors two(errors);
    CHECK(std::string(two.what()) ==
          "error: run.toml:3:5: model::a: first\nerror: data::b: second (a hint)\nerror: 2 config errors");
    CHECK(two.key_path() == "model::a");
    CHECK(two.message() == "first");
    std::vector<ConfigError> many;
    for (int i = 0; i < 23; ++i) many.emplace_back("e" + std::to_string(i), "k");
    const std::string text = ConfigErrors(many).what();
    CHECK(std::count(text.begin(), text.end(), '\n') == 20);
    CHECK_THAT(text, Catch::EndsWith("error: k: e19\nerror: stopped after 20 config errors (3 more found); fix these "
                                     "and run again"));
    CHECK_THAT(std::string(ConfigErrors(errors, true).what()),
               Catch::EndsWith("\nerror: stopped after 2 config errors; fix these and run again"));
}
