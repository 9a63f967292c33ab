#include <catch2/catch.hpp>
#include <filesystem>

#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"
#include "config/parse.hpp"

using namespace lighter::cfg;

namespace {
const std::filesystem::path kData = std::filesystem::path(LIGHTER_TEST_DATA_DIR) / "config";

Node toml(const std::string& text) { return parse_string(text, "test.toml"); }

// `base` with `overlay` merged into it.
Node merged(const std::string& base, const std::string& overlay) {
    Node root = toml(base);
    merge_into(root, parse_string(overlay, "overlay.toml"));
    return root;
}

std::string merge_error(const std::string& base, const std::string& overlay) {
    try {
        merged(base, overlay);
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
}  // namespace

TEST_CASE("config compose: tables merge, arrays extend, scalars replace", "[config][compose]") {
    const Node root = merged("a = 1\nlist = [1, 2]\n[t]\nx = 1\ny = 2\n",
                             "a = 5\nlist = [3]\n[t]\ny = 20\nz = 30\n");
    CHECK(root == toml("a = 5\nlist = [1, 2, 3]\n[t]\nx = 1\ny = 20\nz = 30\n"));
    CHECK(root.find("t")->keys() == std::vector<std::string>{"x", "y", "z"});
}

TEST_CASE("config compose: a type change replaces", "[config][compose]") {
    CHECK(merged("a = 1\n", "[a]\nx = 1\n") == toml("a = { x = 1 }\n"));
    CHECK(merged("a = { x = 1 }\n", "a = 2\n") == toml("a = 2\n"));
    CHECK(merged("a = [1]\n", "a = \"s\"\n") == toml("a = \"s\"\n"));
    CHECK(merged("a = 1\n", "a = 1.0\n").find("a")->is_float());
}

TEST_CASE("config compose: \"=key\" replaces instead of merging", "[config][compose]") {
    CHECK(merged("[t]\nx = 1\ny = 2\n", "\"=t\" = { z = 3 }\n") == toml("[t]\nz = 3\n"));
    CHECK(merged("list = [1, 2]\n", "\"=list\" = [3]\n") == toml("list = [3]\n"));
    CHECK(merged("", "\"=new\" = 1\n") == toml("new = 1\n"));
    // The replaced key keeps its place.
    CHECK(merged("a = 1\nb = 2\nc = 3\n", "\"=b\" = 9\n").keys() == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("config compose: \"~key\" deletes a key", "[config][compose]") {
    CHECK(merged("a = 1\nb = 2\n", "\"~a\" = true\n") == toml("b = 2\n"));
    CHECK(merged("[t]\na = 1\nb = 2\n", "[t]\n\"~a\" = {}\n") == toml("[t]\nb = 2\n"));
    CHECK(merged("a = 1\nb = 2\n", "\"~a\" = []\n") == toml("b = 2\n"));
    CHECK(merged("a = 1\nb = 2\n", "\"~a\" = \"\"\n") == toml("b = 2\n"));
}

TEST_CASE("config compose: \"~key\" with indices deletes list items", "[config][compose]") {
    CHECK(merged("l = [0, 1, 2, 3]\n", "\"~l\" = [0, -1]\n") == toml("l = [1, 2]\n"));
    CHECK(merged("l = [0, 1, 2]\n", "\"~l\" = [1, 1, -2]\n") == toml("l = [0, 2]\n"));
}

TEST_CASE("config compose: \"~key\" with names deletes table keys", "[config][compose]") {
    CHECK(merged("[t]\na = 1\nb = 2\nc = 3\n", "\"~t\" = [\"a\", \"c\"]\n") == toml("[t]\nb = 2\n"));
}

TEST_CASE("config compose: deleting what does not exist is an error", "[config][compose]") {
    CHECK(merge_error("[model]\nlr = 1\nbetas = 2\n", "[model]\n\"~lrr\" = true\n") ==
          "error: overlay.toml:2:10: model::lrr: cannot delete: no such key; existing keys: 'lr', 'betas' "
          "(did you mean 'lr'?)");
    CHECK(merge_error("[model]\n", "\"~model::x\" = true\n") ==
          "error: overlay.toml:1:15: model::x: cannot delete: no such key; the table is empty");
    CHECK(merge_error("[t]\na = 1\n", "\"~t\" = [\"a\", \"b\"]\n") ==
          "error: overlay.toml:1:14: t::b: cannot delete: no such key; existing keys: 'a'");
    CHECK_THAT(merge_error("", "\"~ghost::x\" = true\n"), Catch::Contains("ghost: cannot delete: no such key"));
}

TEST_CASE("config compose: deleting a list index out of range names the length", "[config][compose]") {
    CHECK(merge_error("l = [1, 2, 3]\n", "\"~l\" = [3]\n") ==
          "error: overlay.toml:1:9: l: cannot delete item 3: list index out of range (the list has 3 items)");
    CHECK_THAT(merge_error("l = [1]\n", "\"~l\" = [-2]\n"),
               Catch::Contains("cannot delete item -2: list index out of range (the list has 1 item)"));
}

TEST_CASE("config compose: delete values of the wrong shape are errors", "[config][compose]") {
    CHECK_THAT(merge_error("l = [1]\n", "\"~l\" = [0, \"a\"]\n"),
               Catch::Contains("l: cannot delete: expected true, a list of list indices or a list of keys"));
    CHECK_THAT(merge_error("l = [1]\n", "\"~l\" = false\n"), Catch::Contains("got boolean"));
    CHECK_THAT(merge_error("t = { a = 1 }\n", "\"~t\" = [0]\n"),
               Catch::Contains("t: cannot delete list items: the value here is a table"));
    CHECK_THAT(merge_error("l = [1]\n", "\"~l\" = [\"a\"]\n"),
               Catch::Contains("l: cannot delete table keys: the value here is an array"));
}

TEST_CASE("config compose: path keys create tables and index lists", "[config][compose]") {
    CHECK(merged("", "\"trainer::max_epochs\" = 5\n") == toml("[trainer]\nmax_epochs = 5\n"));
    CHECK(merged("[trainer]\nmax_epochs = 1\ndevices = 1\n", "\"trainer::max_epochs\" = 5\n") ==
          toml("[trainer]\nmax_epochs = 5\ndevices = 1\n"));
    const Node root = merged("cb = [{ p = 1 }, { p = 2 }]\n", "\"cb::1::p\" = 20\n\"cb::-2::q\" = 3\n");
    CHECK(root == toml("cb = [{ p = 1, q = 3 }, { p = 20 }]\n"));
    CHECK(merged("[a]\nb = { c = 1, d = 2 }\n", "\"=a::b\" = { e = 3 }\n") == toml("[a]\nb = { e = 3 }\n"));
    CHECK(merged("[a]\nb = { c = 1, d = 2 }\n", "\"~a::b::c\" = true\n") == toml("[a]\nb = { d = 2 }\n"));
    CHECK(merged("l = [[1, 2], [3]]\n", "\"~l::0\" = [0]\n") == toml("l = [[2], [3]]\n"));
    CHECK(merged("l = [1, 2, 3]\n", "\"~l::1\" = true\n") == toml("l = [1, 3]\n"));
}

TEST_CASE("config compose: path keys through lists must use valid indices", "[config][compose]") {
    CHECK(merge_error("cb = [{ p = 1 }]\n", "\"cb::1::p\" = 2\n") ==
          "error: overlay.toml:1:14: cb: list index 1 is out of range (the list has 1 item)");
    CHECK(merge_error("cb = [{ p = 1 }]\n", "\"cb::first::p\" = 2\n") ==
          "error: overlay.toml:1:18: cb: 'first' is not a list index (the list has 1 item)");
    CHECK(merge_error("a = \"text\"\n", "\"a::b\" = 1\n") ==
          "error: overlay.toml:1:10: a: cannot reach 'b': the value here is a string, not a table or list");
}

TEST_CASE("config compose: malformed path keys", "[config][compose]") {
    CHECK(merge_error("", "\"a::::b\" = 1\n") ==
          "error: overlay.toml:1:12: a::::b: malformed key 'a::::b': every part of a key path must be non-empty "
          "(write keys like \"a::b\", \"=a\" or \"~a\")");
    CHECK_THAT(merge_error("", "\"~\" = true\n"), Catch::Contains("malformed key '~'"));
}

TEST_CASE("config compose: edit keys inside new content are applied too", "[config][compose]") {
    CHECK(merged("", "[t]\n\"=x\" = 1\n\"a::b\" = 2\n") == toml("[t]\nx = 1\na = { b = 2 }\n"));
    CHECK(merged("l = []\n", "l = [{ \"=k\" = 1 }]\n") == toml("l = [{ k = 1 }]\n"));
    CHECK_THAT(merge_error("", "[t]\n\"~x\" = true\n"), Catch::Contains("t::x: cannot delete: no such key"));
}

TEST_CASE("config compose: base.toml with overlay.toml", "[config][compose]") {
    Node root = parse_file(kData / "base.toml", "base.toml");
    merge_into(root, parse_file(kData / "overlay.toml", "overlay.toml"));
    CHECK(node_at(root, "trainer::max_epochs").as_int() == 10);
    CHECK(node_at(root, "trainer::devices").as_int() == 2);
    REQUIRE(node_at(root, "trainer::callbacks").array().size() == 1);
    CHECK(node_at(root, "trainer::callbacks::0::patience").as_int() == 2);
    CHECK(node_at(root, "model::optimizer") == toml("_target_ = \"torch.optim.SGD\"\nlr = 0.1\n"));
    CHECK(node_at(root, "model::task").as_string() == "classification");
    CHECK(node_at(root, "vars") == toml("tags = [\"base\", \"overlay\"]\n"));
    CHECK(root.keys() == std::vector<std::string>{"seed", "trainer", "model", "vars"});
}

TEST_CASE("config compose: apply_edit semantics", "[config][compose]") {
    Node root = toml("l = [1]\n[t]\na = 1\n");
    apply_edit(root, {"l"}, Edit::Set, Node::make_array({Node::make_int(2)}));
    CHECK(*root.find("l") == toml("v = [2]").table()[0].second);
    apply_edit(root, {"t"}, Edit::Set, toml("b = 2\n"));
    CHECK(*root.find("t") == toml("a = 1\nb = 2\n"));
    apply_edit(root, {"t"}, Edit::Replace, toml("c = 3\n"));
    CHECK(*root.find("t") == toml("c = 3\n"));
    apply_edit(root, {"l"}, Edit::Merge, Node::make_array({Node::make_int(3)}));
    CHECK(root.find("l")->array().size() == 2);
    apply_edit(root, {"t", "c"}, Edit::Delete, Node::make_bool(true));
    CHECK(root.find("t")->table().empty());
    CHECK_THROWS_WITH(apply_edit(root, {}, Edit::Delete, Node::make_bool(true)),
                      "error: cannot delete the whole config");
}
