// lighter.datasets.CSV: RFC 4180 parsing, feature/target selection, class label mapping, and
// errors that name the file, line and column.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/data.hpp>

#include <filesystem>

#include "support/host_runner.hpp"

namespace fs = std::filesystem;
using lighter::Dataset;
using lighter::Dict;
using lighter::ParamError;
using lighter::Value;
using lighter::test::TempDir;
using Array = Value::Array;

namespace {
const fs::path kCsv = fs::path(LIGHTER_TEST_DATA_DIR) / "datasets" / "csv";
const std::string kFlowers = (kCsv / "flowers.csv").string();

std::shared_ptr<Dataset> csv(Value::Table values) {
  return lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_DATA).make<Dataset>("lighter.datasets.CSV", std::move(values));
}

Dict everything(const Dataset& ds) {
  std::vector<int64_t> all(ds.size());
  for (int64_t i = 0; i < ds.size(); ++i) all[i] = i;
  torch::Generator g;
  return ds.get_batch(all, g);
}

torch::Tensor longs(std::vector<int64_t> values) { return torch::tensor(values, torch::kLong); }
torch::Tensor floats(std::vector<float> values) { return torch::tensor(values); }

// The error building a CSV dataset from `text` (written to a temp file) with `values`.
std::string error_for(const std::string& text, Value::Table values) {
  TempDir dir;
  lighter::test::write_text(dir / "data.csv", text);
  values.emplace_back("path", (dir / "data.csv").string());
  try {
    csv(values);
  } catch (const ParamError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("CSV maps string labels to sorted class indices and skips non-numeric features", "[plugin][csv]") {
  auto ds = csv({{"path", kFlowers}, {"target", "species"}});
  REQUIRE(ds->size() == 4);
  Dict all = everything(*ds);
  CHECK(all.tensor("input").scalar_type() == torch::kFloat);
  CHECK(torch::equal(all.tensor("input"), floats({5.1, 3.5, 7.0, 3.2, 6.3, 3.3, 4.9, 3.0}).view({4, 2})));
  CHECK(torch::equal(all.tensor("target"), longs({0, 1, 2, 0})));  // setosa, versicolor, virginica
  auto narrow = csv({{"path", kFlowers}, {"target", "species"}, {"features", Array{"sepal_width"}}});
  CHECK(torch::equal(everything(*narrow).tensor("input"), floats({3.5, 3.2, 3.3, 3.0}).view({4, 1})));
}

TEST_CASE("CSV quoted fields hold delimiters, doubled quotes and line breaks", "[plugin][csv]") {
  // Sorted bytewise: "Setosa, the first" < "plain" < "says \"hi\"" < "two\nlines".
  auto ds = csv({{"path", kFlowers}, {"target", "note"}});
  CHECK(torch::equal(everything(*ds).tensor("target"), longs({0, 2, 3, 1})));
  // Explicit classes fix the order, so splits with different labels present still agree.
  auto ordered = csv({{"path", kFlowers},
                      {"target", "note"},
                      {"classes", Array{"two\nlines", "Setosa, the first", "says \"hi\"", "plain"}}});
  CHECK(torch::equal(everything(*ordered).tensor("target"), longs({1, 2, 0, 3})));
}

TEST_CASE("CSV reads headerless files with another delimiter and CRLF line ends", "[plugin][csv]") {
  auto ds = csv({{"path", (kCsv / "headerless.csv").string()}, {"header", false}, {"delimiter", ";"}, {"target", 2}});
  Dict all = everything(*ds);
  CHECK(torch::equal(all.tensor("input"), floats({1.5, -2, 0.25, 4, 300, 0.5}).view({3, 2})));
  CHECK(torch::equal(all.tensor("target"), longs({1, 0, 2})));  // class indices as they are
}

TEST_CASE("CSV regression targets are float32, one column or several", "[plugin][csv]") {
  TempDir dir;
  lighter::test::write_text(dir / "r.csv", "x,y,z\n1,2,3\n4,5,6\n");
  const std::string path = (dir / "r.csv").string();
  auto one = csv({{"path", path}, {"target", "z"}, {"task", "regression"}});
  Dict all = everything(*one);
  CHECK(torch::equal(all.tensor("target"), floats({3, 6})));
  CHECK(torch::equal(all.tensor("input"), floats({1, 2, 4, 5}).view({2, 2})));
  auto two = csv({{"path", path}, {"target", Array{"z", "x"}}, {"task", "regression"}});
  CHECK(torch::equal(everything(*two).tensor("target"), floats({3, 1, 6, 4}).view({2, 2})));
  CHECK(torch::equal(everything(*two).tensor("input"), floats({2, 5}).view({2, 1})));
}

TEST_CASE("CSV batches gather the same rows as get(), with their ids", "[plugin][csv]") {
  auto ds = csv({{"path", kFlowers}, {"target", "species"}});
  torch::Generator g;
  Dict batch = ds->get_batch({3, 1}, g);
  CHECK(torch::equal(batch.tensor("id"), longs({3, 1})));
  Dict one = ds->get(1, g);
  CHECK(torch::equal(batch.tensor("input")[1], one.tensor("input")));
  CHECK(torch::equal(batch.tensor("target")[1], one.tensor("target")));
  CHECK(one.at("id").toInt() == 1);
  CHECK_THROWS_AS(ds->get(4, g), std::out_of_range);
  CHECK_THROWS_AS(ds->get_batch({0, 4}, g), std::out_of_range);
}

TEST_CASE("CSV errors name the file, line and column", "[plugin][csv]") {
  CHECK_THROWS_WITH(csv({{"path", (kCsv / "absent.csv").string()}, {"target", "y"}}),
                    Catch::Contains("no such file") && Catch::Contains("absent.csv"));
  CHECK_THROWS_WITH(csv({{"path", kFlowers}, {"target", "specis"}}),
                    Catch::Contains("no column 'specis'") && Catch::Contains("did you mean 'species'?"));
  CHECK_THROWS_WITH(csv({{"path", kFlowers}, {"target", "species"}, {"features", Array{"petal_length"}}}),
                    Catch::Contains("features") && Catch::Contains("no column 'petal_length'"));
  CHECK_THROWS_WITH(
      csv({{"path", kFlowers}, {"target", "species"}, {"features", Array{"sepal_length", "note"}}}),
      Catch::Contains("flowers.csv:2: column 'note' holds 'Setosa, the first', which is not a number"));
  CHECK_THROWS_WITH(csv({{"path", kFlowers}, {"target", "species"}, {"features", Array{"species"}}}),
                    Catch::Contains("also the target"));
  CHECK_THROWS_WITH(csv({{"path", kFlowers}, {"target", "species"}, {"classes", Array{"setosa", "virginica"}}}),
                    Catch::Contains("flowers.csv:3: label 'versicolor'") && Catch::Contains("is not one of"));
  CHECK_THROWS_WITH(csv({{"path", kFlowers}, {"target", Array{"sepal_length", "species"}}}),
                    Catch::Contains("classification takes one target column"));
  CHECK_THROWS_WITH(csv({{"path", kFlowers}, {"target", "species"}, {"delimiter", ";;"}}),
                    Catch::Contains("delimiter"));

  CHECK_THAT(error_for("a,b\n1,2\n3,4,5\n", {{"target", "b"}}),
             Catch::Contains("data.csv:3: a row of 3 fields where the header has 2"));
  // Lines count the breaks inside quoted fields, and CRLF as one.
  CHECK_THAT(error_for("a,b\n\"x\ny\",1\n1,2,3\n", {{"target", "b"}}), Catch::Contains("data.csv:4: a row of 3"));
  CHECK_THAT(error_for("a,b\r\n1,2\r\n1,2,3\r\n", {{"target", "b"}}), Catch::Contains("data.csv:3: a row of 3"));
  CHECK_THAT(error_for("a,b\n1,\"2\n3,4\n", {{"target", "b"}}),
             Catch::Contains("data.csv:2: the quoted field opened on this line is never closed"));
  CHECK_THAT(error_for("a,b\n1,\"2\"x\n", {{"target", "b"}}),
             Catch::Contains("unexpected 'x' after the closing quote"));
  CHECK_THAT(error_for("a,b\n", {{"target", "b"}}), Catch::Contains("has no data rows"));
  CHECK_THAT(error_for("a,b\nx,1\n", {{"target", "b"}}), Catch::Contains("no numeric columns besides the target"));
  CHECK_THAT(error_for("a,b\n1,2\n", {{"target", "b"}, {"task", "regression"}, {"classes", Array{"1"}}}),
             Catch::Contains("only classification has classes"));
}

namespace {
std::vector<std::string> ids_of(const Dict& batch) {
  std::vector<std::string> out;
  for (const auto& id : batch.at("id").toListRef()) out.push_back(id.toStringRef());
  return out;
}
}  // namespace

TEST_CASE("CSV `id` names a column whose cells, exactly as written, are the sample ids", "[plugin][csv]") {
  TempDir dir;
  lighter::test::write_text(dir / "ids.csv",
                            "patient,x,y,note\n"
                            "patient-007,1,0,a\n"
                            "\"Doe, Jane\",2,1,b\n"
                            "007,3,0,c\n"
                            "1e3,4,1,d\n"
                            " padded ,5,0,e\n");
  const std::string path = (dir / "ids.csv").string();
  auto ds = csv({{"path", path}, {"target", "y"}, {"id", "patient"}});
  Dict all = everything(*ds);
  CHECK(ids_of(all) == std::vector<std::string>{"patient-007", "Doe, Jane", "007", "1e3", " padded "});
  // The id column is not a feature, though "007" and "1e3" read as numbers.
  CHECK(torch::equal(all.tensor("input"), floats({1, 2, 3, 4, 5}).view({5, 1})));
  torch::Generator g;
  CHECK(ids_of(ds->get_batch({3, 0}, g)) == std::vector<std::string>{"1e3", "patient-007"});
  CHECK(ds->get(2, g).at("id").toStringRef() == "007");
  CHECK(ids_of(lighter::collate({ds->get(1, g), ds->get(2, g)})) == std::vector<std::string>{"Doe, Jane", "007"});
  // Listed features may hold anything but the id column.
  auto listed = csv({{"path", path}, {"target", "y"}, {"id", "patient"}, {"features", Array{"x"}}});
  CHECK(ids_of(everything(*listed)) == ids_of(all));
  // A headerless file names the id column by number.
  lighter::test::write_text(dir / "bare.csv", "a-1,0.5,1\na-2,1.5,0\n");
  auto bare = csv({{"path", (dir / "bare.csv").string()}, {"header", false}, {"target", 2}, {"id", 0}});
  CHECK(ids_of(everything(*bare)) == std::vector<std::string>{"a-1", "a-2"});
  CHECK(torch::equal(everything(*bare).tensor("input"), floats({0.5, 1.5}).view({2, 1})));
}

TEST_CASE("CSV without `id` keeps the row index as an int64 id", "[plugin][csv]") {
  auto ds = csv({{"path", kFlowers}, {"target", "species"}, {"id", Value()}});
  Dict all = everything(*ds);
  CHECK(all.tensor("id").scalar_type() == torch::kLong);
  CHECK(torch::equal(all.tensor("id"), longs({0, 1, 2, 3})));
}

TEST_CASE("CSV `id` errors name the file and the columns", "[plugin][csv]") {
  CHECK_THROWS_WITH(csv({{"path", kFlowers}, {"target", "species"}, {"id", "specie"}}),
                    Catch::Contains("id") && Catch::Contains("no column 'specie' in") &&
                        Catch::Contains("flowers.csv") && Catch::Contains("did you mean 'species'?") &&
                        Catch::Contains("(columns: 'sepal_length'"));
  CHECK_THROWS_WITH(csv({{"path", kFlowers}, {"target", "species"}, {"id", "note"}, {"features", Array{"sepal_length", "note"}}}),
                    Catch::Contains("features") && Catch::Contains("column 'note' is the id column"));
  CHECK_THAT(error_for("name,y\nx,1\n", {{"target", "y"}, {"id", "name"}}),
             Catch::Contains("no numeric columns besides the target and the id column"));
  CHECK_THAT(error_for("n,x,y\n1,2,3\n", {{"target", "y"}, {"id", Array{"n"}}}), Catch::Contains("id"));
}

TEST_CASE("CSV string ids travel with their rows through a shuffled, threaded DataLoader", "[plugin][csv]") {
  TempDir dir;
  std::string text = "name,x,y\n";
  for (int i = 0; i < 10; ++i) text += "id-" + std::to_string(i) + "," + std::to_string(i) + ",0\n";
  lighter::test::write_text(dir / "rows.csv", text);
  auto ds = csv({{"path", (dir / "rows.csv").string()}, {"target", "y"}, {"id", "name"}});
  auto loader = lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_DATA)
                    .make<lighter::DataLoader>("torch.utils.data.DataLoader",
                                               {{"batch_size", 3}, {"shuffle", true}, {"num_workers", 2}, {"seed", 1}},
                                               {{"dataset", ds}});
  loader->start_epoch(0);
  size_t seen = 0;
  while (auto batch = loader->next()) {
    const auto ids = ids_of(*batch);
    REQUIRE(static_cast<int64_t>(ids.size()) == batch->tensor("input").size(0));
    for (size_t i = 0; i < ids.size(); ++i)
      CHECK(ids[i] == "id-" + std::to_string(batch->tensor("input")[static_cast<int64_t>(i)][0].item<int64_t>()));
    seen += ids.size();
  }
  CHECK(seen == 10);
}
