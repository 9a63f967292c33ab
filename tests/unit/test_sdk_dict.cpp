// lighter::Dict (batches and step outputs): insertion order, replacement, lazy values computed
// once on first read; and batch_indices, which every in-memory dataset uses to gather.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/data.hpp>

using lighter::Dict;

namespace {
std::vector<std::string> keys_by_iteration(const Dict& d) {
  std::vector<std::string> out;
  for (const auto& [key, value] : d) out.push_back(key);
  return out;
}
}  // namespace

TEST_CASE("Dict keeps insertion order and replaces in place", "[sdk][dict]") {
  Dict d{{"b", 1}, {"a", 2}};
  d.set("c", 3);
  d.set("b", 10);
  CHECK(d.keys() == std::vector<std::string>{"b", "a", "c"});
  CHECK(d.at("b").toInt() == 10);
  CHECK(d.erase("a"));
  CHECK_FALSE(d.erase("a"));
  CHECK(keys_by_iteration(d) == std::vector<std::string>{"b", "c"});
  CHECK_THROWS_WITH(d.at("x"), "no key 'x' (keys: 'b', 'c')");
}

TEST_CASE("Dict lazy values are computed once, on first read", "[sdk][dict]") {
  int calls = 0;
  Dict d;
  d.set("loss", 1.5);
  d.set_lazy("probs", [&calls] {
    ++calls;
    return c10::IValue(torch::ones({2}));
  });
  CHECK(d.contains("probs"));
  CHECK(d.keys() == std::vector<std::string>{"loss", "probs"});
  CHECK(calls == 0);

  SECTION("find and at compute it") {
    CHECK(torch::equal(d.tensor("probs"), torch::ones({2})));
    CHECK(d.find("probs")->isTensor());
    CHECK(calls == 1);
  }
  SECTION("iterating and converting compute it") {
    for (const auto& [key, value] : d) CHECK_FALSE(value.isNone());
    CHECK(d.to_ivalue().toGenericDict().at("probs").isTensor());
    CHECK(calls == 1);
  }
  SECTION("a copy computes its own value") {
    Dict copy = d;
    copy.tensor("probs");
    d.tensor("probs");
    CHECK(calls == 2);
  }
  SECTION("set replaces it without computing it") {
    d.set("probs", 7);
    CHECK(d.at("probs").toInt() == 7);
    CHECK(calls == 0);
  }
  SECTION("erasing an earlier key keeps later lazy values attached to their keys") {
    d.set_lazy("pred", [] { return c10::IValue(std::string("pred")); });
    CHECK(d.erase("loss"));
    CHECK(d.at("pred").toStringRef() == "pred");
    CHECK(d.tensor("probs").numel() == 2);
    CHECK(calls == 1);
  }
  SECTION("a value that fails to compute stays lazy and fails again") {
    int failures = 0;
    d.set_lazy("bad", [&failures]() -> c10::IValue {
      ++failures;
      throw std::runtime_error("cannot");
    });
    CHECK_THROWS_WITH(d.at("bad"), "cannot");
    CHECK_THROWS_WITH(d.at("bad"), "cannot");
    CHECK(failures == 2);
  }
  CHECK_THROWS_AS(d.set_lazy("x", {}), std::invalid_argument);
}

TEST_CASE("batch_indices checks every index against the dataset size", "[sdk][dict]") {
  CHECK(torch::equal(lighter::batch_indices({3, 0, 2}, 4, "Data"), torch::tensor({3, 0, 2}, torch::kLong)));
  CHECK(lighter::batch_indices({}, 4, "Data").numel() == 0);
  CHECK_THROWS_WITH(lighter::batch_indices({1, 4, 2}, 4, "Data"), "Data: index 4 out of range for 4 samples");
  CHECK_THROWS_WITH(lighter::batch_indices({-1, 0}, 4, "Data"), "Data: index -1 out of range for 4 samples");
}
