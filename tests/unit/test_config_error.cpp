#include <catch2/catch.hpp>

#include "config/error.hpp"

using namespace lighter::cfg;

TEST_CASE("config error: one line in the documented format", "[config][error]") {
    const ConfigError full("unknown parameter of torch.optim.Adam", "model::optimizer::lrr", Location{"run.toml"},
                           "did you mean 'lr'?");
    CHECK(std::string(full.what()) ==
          "error: run.toml: model::optimizer::lrr: unknown parameter of torch.optim.Adam (did you mean 'lr'?)");
    CHECK(full.file() == "run.toml");
    CHECK(full.key_path() == "model::optimizer::lrr");
    CHECK(full.message() == "unknown parameter of torch.optim.Adam");
    CHECK(full.suggestion() == "did you mean 'lr'?");

    CHECK(std::string(ConfigError("bad", "model::x", Location{"run.toml", 4, 7}).what()) ==
          "error: run.toml:4:7: model::x: bad");
    CHECK(std::string(ConfigError("bad", "model::x").what()) == "error: model::x: bad");
    CHECK(std::string(ConfigError("bad").what()) == "error: bad");
    CHECK(std::string(ConfigError("two\nlines", "", Location{"f.toml", 1, 2}).what()) == "error: f.toml:1:2: two lines");
}

TEST_CASE("config error: closest_matches finds typos, case and prefixes", "[config][error]") {
    const std::vector<std::string> params{"lr", "betas", "eps", "weight_decay", "amsgrad"};
    CHECK(closest_matches("lrr", params) == std::vector<std::string>{"lr"});
    CHECK(closest_matches("LR", params) == std::vector<std::string>{"lr"});
    CHECK(closest_matches("weight_decy", params) == std::vector<std::string>{"weight_decay"});
    CHECK(closest_matches("btea", params) == std::vector<std::string>{"betas"});  // transposition + insertion
    CHECK(closest_matches("weight", params) == std::vector<std::string>{"weight_decay"});  // prefix
    CHECK(closest_matches("momentum", params).empty());
    CHECK(closest_matches("", params).empty());
    CHECK(closest_matches("x", {"y", "z"}).empty());  // replacing every letter is no match
}

TEST_CASE("config error: closest_matches ranks closer spellings first and caps the count", "[config][error]") {
    const std::vector<std::string> names{"max_steps", "max_epochs", "min_epochs", "max_epoch"};
    const auto matches = closest_matches("max_epocs", names);
    REQUIRE(matches.size() == 3);
    CHECK(matches[0] == "max_epochs");
    CHECK(matches[1] == "max_epoch");
    CHECK(closest_matches("max_epocs", names, 1).size() == 1);
}

TEST_CASE("config error: did_you_mean wording", "[config][error]") {
    CHECK(did_you_mean({}).empty());
    CHECK(did_you_mean({"lr"}) == "did you mean 'lr'?");
    CHECK(did_you_mean({"a", "b"}) == "did you mean one of 'a', 'b'?");
    CHECK(suggest("trainr", {"trainer", "model"}) == "did you mean 'trainer'?");
    CHECK(quoted_list({"a", "b", "c"}, 2) == "'a', 'b', ... (3 in all)");
}
