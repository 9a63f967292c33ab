#include <catch2/catch.hpp>
#include <cmath>

#include "config/error.hpp"
#include "config/node.hpp"

using lighter::cfg::ConfigError;
using lighter::cfg::Location;
using lighter::cfg::Node;

TEST_CASE("config node: Location renders file, line and column", "[config][node]") {
    CHECK(Location{"run.toml", 3, 5}.str() == "run.toml:3:5");
    CHECK(Location{"run.toml", 3, 0}.str() == "run.toml:3");
    CHECK(Location{"run.toml"}.str() == "run.toml");
    CHECK(Location{"<override>"}.str() == "<override>");
    CHECK(Location{}.str().empty());
}

TEST_CASE("config node: types, predicates and accessors", "[config][node]") {
    CHECK(Node().is_null());
    CHECK(Node::make_bool(true).as_bool());
    CHECK(Node::make_int(-4).as_int() == -4);
    CHECK(Node::make_float(0.5).as_float() == 0.5);
    CHECK(Node::make_int(2).as_number() == 2.0);
    CHECK(Node::make_string("s").as_string() == "s");
    CHECK(Node::make_array({Node::make_int(1)}).array().size() == 1);
    CHECK(Node::make_table({{"k", Node::make_int(1)}}).table().size() == 1);

    CHECK(Node::make_int(1).is_number());
    CHECK_FALSE(Node::make_string("1").is_number());
    CHECK(Node::make_int(1).type_name() == "integer");
    CHECK(Node::make_float(1).type_name() == "float");
    CHECK(Node::make_table().type_name() == "table");
    CHECK(Node::make_array().type_name() == "array");
    CHECK(Node::make_bool(false).type_name() == "boolean");
    CHECK(Node().type_name() == "null");
}

TEST_CASE("config node: a wrong accessor names both types and the location", "[config][node]") {
    const Node text = Node::make_string("x", Location{"run.toml", 2, 9});
    REQUIRE_THROWS_AS(text.as_int(), ConfigError);
    REQUIRE_THROWS_WITH(text.as_int(), "error: run.toml:2:9: expected integer, got string");
    REQUIRE_THROWS_WITH(Node::make_int(1).as_float(), "error: expected float, got integer");
    REQUIRE_THROWS_WITH(Node::make_bool(true).as_number(), "error: expected a number, got boolean");
}

TEST_CASE("config node: set replaces in place and appends new keys", "[config][node]") {
    Node table = Node::make_table();
    table.set("b", Node::make_int(1));
    table.set("a", Node::make_int(2));
    table.set("b", Node::make_string("new"));
    REQUIRE(table.keys() == std::vector<std::string>{"b", "a"});
    CHECK(table.find("b")->as_string() == "new");
    CHECK(table.find("missing") == nullptr);
    CHECK(Node::make_int(1).find("a") == nullptr);

    CHECK(table.erase("b"));
    CHECK_FALSE(table.erase("b"));
    CHECK(table.keys() == std::vector<std::string>{"a"});

    Node null;
    null.set("k", Node::make_int(1));
    CHECK(null.is_table());
    Node scalar = Node::make_int(1);
    CHECK_THROWS_AS(scalar.set("k", Node()), ConfigError);
}

TEST_CASE("config node: equality ignores locations and key order, not types", "[config][node]") {
    const Node a = Node::make_table({{"x", Node::make_int(1, Location{"a.toml", 1, 1})}, {"y", Node::make_bool(true)}});
    const Node b = Node::make_table({{"y", Node::make_bool(true)}, {"x", Node::make_int(1, Location{"b.toml", 9, 9})}});
    CHECK(a == b);
    CHECK(Node::make_int(1) != Node::make_float(1.0));
    CHECK(Node::make_table({{"x", Node::make_int(1)}}) != Node::make_table({{"x", Node::make_int(2)}}));
    CHECK(Node::make_table({{"x", Node::make_int(1)}}) != Node::make_table({{"z", Node::make_int(1)}}));
    CHECK(Node::make_table({{"x", Node::make_int(1)}}) != a);
    CHECK(Node::make_array({Node::make_int(1), Node::make_int(2)}) != Node::make_array({Node::make_int(2), Node::make_int(1)}));
    CHECK(Node::make_float(std::nan("")) == Node::make_float(std::nan("")));
    CHECK(Node() == Node());
}
