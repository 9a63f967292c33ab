#include <catch2/catch.hpp>

#include "config/keypath.hpp"

using namespace lighter::cfg;
using Parts = std::vector<std::string>;

TEST_CASE("config keypath: split and join on ::", "[config][keypath]") {
    CHECK(split_key_path("a::b::0::c") == Parts{"a", "b", "0", "c"});
    CHECK(split_key_path("a") == Parts{"a"});
    CHECK(split_key_path("").empty());
    CHECK(split_key_path("a.b::c") == Parts{"a.b", "c"});  // dots are part of a key
    CHECK(split_key_path("a::::b") == Parts{"a", "", "b"});
    CHECK(split_key_path("a::") == Parts{"a", ""});
    CHECK(join_key_path(Parts{"a", "b", "0"}) == "a::b::0");
    CHECK(join_key_path("", "x") == "x");
    CHECK(join_key_path("a::b", "x") == "a::b::x");
}

TEST_CASE("config keypath: list indices", "[config][keypath]") {
    CHECK(parse_index("0") == 0);
    CHECK(parse_index("12") == 12);
    CHECK(parse_index("-1") == -1);
    CHECK_FALSE(parse_index("").has_value());
    CHECK_FALSE(parse_index("-").has_value());
    CHECK_FALSE(parse_index("+1").has_value());
    CHECK_FALSE(parse_index("1a").has_value());
    CHECK_FALSE(parse_index("99999999999999999999").has_value());

    CHECK(resolve_index(0, 3) == size_t{0});
    CHECK(resolve_index(-1, 3) == size_t{2});
    CHECK(resolve_index(-3, 3) == size_t{0});
    CHECK_FALSE(resolve_index(3, 3).has_value());
    CHECK_FALSE(resolve_index(-4, 3).has_value());
    CHECK_FALSE(resolve_index(0, 0).has_value());
}

TEST_CASE("config keypath: find_path walks tables and lists", "[config][keypath]") {
    const Node root = Node::make_table(
        {{"a", Node::make_table({{"list", Node::make_array({Node::make_int(10), Node::make_table({{"c", Node::make_int(3)}})})}})}});
    REQUIRE(find_path(root, {"a", "list", "1", "c"}) != nullptr);
    CHECK(find_path(root, {"a", "list", "1", "c"})->as_int() == 3);
    CHECK(find_path(root, {"a", "list", "-2"})->as_int() == 10);
    CHECK(find_path(root, {}) == &root);
    CHECK(find_path(root, {"a", "list", "2"}) == nullptr);
    CHECK(find_path(root, {"a", "list", "x"}) == nullptr);
    CHECK(find_path(root, {"a", "missing"}) == nullptr);
    CHECK(find_path(root, {"a", "list", "0", "deeper"}) == nullptr);
}
