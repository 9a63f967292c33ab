// The torchvision plugin: MNIST-format datasets read idx files (gzipped or not, in root or in
// torchvision's raw/ layout) and reject broken ones clearly; transforms follow torchvision and
// draw randomness only from the generator they are given.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <lighter/data.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "support/host_runner.hpp"
#include "support/ci.hpp"

namespace fs = std::filesystem;
using lighter::Dataset;
using lighter::Dict;
using lighter::ParamError;
using lighter::Transform;
using lighter::Value;
using lighter::test::read_text;
using lighter::test::TempDir;
using lighter::test::write_text;
using Array = Value::Array;

namespace {
const lighter::test::PluginHarness& vision() { return lighter::test::plugin(LIGHTER_PLUGIN_TORCHVISION); }

const fs::path kFixtures = fs::path(LIGHTER_TEST_DATA_DIR) / "datasets";
const fs::path kGzRoot = kFixtures / "idx_gz";
const fs::path kTorchvisionRoot = kFixtures / "idx_torchvision";
const fs::path kRawFiles = kTorchvisionRoot / "FashionMNIST" / "raw";
const std::vector<int64_t> kTrainLabels{3, 1, 4, 1, 5, 9};

std::shared_ptr<Dataset> dataset(const std::string& name, Value::Table values, lighter::test::Objects objects = {}) {
  return vision().make<Dataset>("torchvision.datasets." + name, std::move(values), std::move(objects));
}
std::shared_ptr<Dataset> fashion(const fs::path& root, bool train = true) {
  return dataset("FashionMNIST", {{"root", root.string()}, {"train", train}});
}
std::shared_ptr<Transform> transform(const std::string& name, Value::Table values = {},
                                     lighter::test::ObjectLists lists = {}) {
  return vision().make<Transform>("torchvision.transforms." + name, std::move(values), {}, std::move(lists));
}

torch::Tensor floats(std::vector<float> values) { return torch::tensor(values); }
torch::Generator generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// The fixtures' image i, as make_idx_fixtures.py writes it and ToTensor scales it.
torch::Tensor fixture_image(int64_t i) {
  auto rows = torch::arange(28, torch::kLong).view({28, 1}), cols = torch::arange(28, torch::kLong).view({1, 28});
  return (37 * i + 28 * rows + cols).remainder(256).to(torch::kFloat).div(255).unsqueeze(0);
}

std::vector<int64_t> all_indices(const Dataset& ds) {
  std::vector<int64_t> out(ds.size());
  for (int64_t i = 0; i < ds.size(); ++i) out[i] = i;
  return out;
}

// A copy of the uncompressed train fixtures in a temp dir, with one file replaced.
void write_train_files(const TempDir& dir, const std::string& images, const std::string& labels) {
  write_text(dir / "train-images-idx3-ubyte", images);
  write_text(dir / "train-labels-idx1-ubyte", labels);
}
std::string raw_file(const std::string& name) { return read_text(kRawFiles / name); }
}  // namespace

TEST_CASE("FashionMNIST reads gzipped idx files from root as ToTensor floats", "[plugin][torchvision]") {
  auto train = fashion(kGzRoot);
  REQUIRE(train->size() == 6);
  torch::Generator g = generator(0);
  for (int64_t i : {0, 5}) {
    INFO("sample " << i);
    Dict sample = train->get(i, g);
    CHECK(sample.tensor("input").scalar_type() == torch::kFloat);
    CHECK(sample.tensor("input").sizes() == torch::IntArrayRef({1, 28, 28}));
    CHECK(torch::equal(sample.tensor("input"), fixture_image(i)));
    CHECK(sample.tensor("target").scalar_type() == torch::kLong);
    CHECK(sample.tensor("target").item<int64_t>() == kTrainLabels[i]);
    CHECK(sample.at("id").toInt() == i);
  }
  auto test = fashion(kGzRoot, false);
  REQUIRE(test->size() == 3);
  CHECK(torch::equal(test->get_batch({0, 1, 2}, g).tensor("target"), torch::tensor({2, 6, 5}, torch::kLong)));
  CHECK_THROWS_AS(train->get(6, g), std::out_of_range);
  CHECK_THROWS_AS(train->get_batch({0, -1}, g), std::out_of_range);
}

TEST_CASE("MNIST datasets find uncompressed files in torchvision's <ClassName>/raw layout", "[plugin][torchvision]") {
  auto raw = fashion(kTorchvisionRoot), gz = fashion(kGzRoot);
  torch::Generator g = generator(0);
  Dict a = raw->get_batch(all_indices(*raw), g), b = gz->get_batch(all_indices(*gz), g);
  CHECK(torch::equal(a.tensor("input"), b.tensor("input")));
  CHECK(torch::equal(a.tensor("target"), b.tensor("target")));
  // The class name picks the folder: MNIST looks in MNIST/raw, where there is nothing.
  CHECK_THROWS_WITH(dataset("MNIST", {{"root", kTorchvisionRoot.string()}}),
                    Catch::Contains("found no train-images-idx3-ubyte") && Catch::Contains("MNIST/raw"));
  CHECK(dataset("MNIST", {{"root", kGzRoot.string()}})->size() == 6);
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (fs::is_directory(dir))
    for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("Gzipped idx files are inflated once into the cache folder and read from there after",
          "[plugin][torchvision]") {
  TempDir cache, root;
  ScopedEnv env("LIGHTER_CACHE_DIR", cache.path().string());
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"})
    write_text(root / name, read_text(kGzRoot / name));
  torch::Generator g = generator(0);
  const Dict expected = fashion(kTorchvisionRoot)->get_batch({0, 1, 2, 3, 4, 5}, g);  // uncompressed: no copy

  const Dict first = fashion(root.path())->get_batch({0, 1, 2, 3, 4, 5}, g);
  const auto cached = files_in(cache / "datasets");
  REQUIRE(cached.size() == 2);
  const fs::path images = cached[0].string().find("images") != std::string::npos ? cached[0] : cached[1];
  CHECK(images.filename().string().find("-train-images-idx3-ubyte") == 16);
  CHECK(fs::file_size(images) == 16 + 6 * 28 * 28);
  CHECK(read_text(images) == raw_file("train-images-idx3-ubyte"));

  // The second load maps the cached copy: spoil its pixels (same size) to see it is the one read.
  std::string spoiled = read_text(images);
  spoiled[16] = static_cast<char>(spoiled[16] + 1);
  write_text(images, spoiled);
  const Dict second = fashion(root.path())->get_batch({0, 1, 2, 3, 4, 5}, g);
  CHECK(torch::equal(first.tensor("input"), expected.tensor("input")));
  CHECK_FALSE(torch::equal(second.tensor("input"), expected.tensor("input")));
  CHECK(torch::equal(second.tensor("target"), expected.tensor("target")));

  SECTION("a changed source file gets a fresh copy, not the stale one") {
    fs::last_write_time(root / "train-images-idx3-ubyte.gz",
                        fs::last_write_time(root / "train-images-idx3-ubyte.gz") + std::chrono::seconds(5));
    CHECK(torch::equal(fashion(root.path())->get_batch({0, 1, 2, 3, 4, 5}, g).tensor("input"),
                       expected.tensor("input")));
    CHECK(files_in(cache / "datasets").size() == 3);
  }
  SECTION("a cached copy of the wrong size is inflated again") {
    write_text(images, spoiled.substr(0, 100));
    CHECK(torch::equal(fashion(root.path())->get_batch({0, 1, 2, 3, 4, 5}, g).tensor("input"),
                       expected.tensor("input")));
    CHECK(fs::file_size(images) == 16 + 6 * 28 * 28);
  }
}

TEST_CASE("Without a usable cache folder gzipped idx files are still read", "[plugin][torchvision]") {
  TempDir dir;
  torch::Generator g = generator(0);
  const Dict expected = fashion(kTorchvisionRoot)->get_batch({0, 5}, g);
  SECTION("cache turned off") {
    ScopedEnv env("LIGHTER_CACHE_DIR", "");
    CHECK(torch::equal(fashion(kGzRoot)->get_batch({0, 5}, g).tensor("input"), expected.tensor("input")));
  }
  SECTION("cache folder cannot be created (a file is in the way)") {
    write_text(dir / "file", "x");
    ScopedEnv env("LIGHTER_CACHE_DIR", (dir / "file" / "cache").string());
    CHECK(torch::equal(fashion(kGzRoot)->get_batch({0, 5}, g).tensor("input"), expected.tensor("input")));
    CHECK_FALSE(fs::exists(dir / "file" / "cache"));
  }
}

TEST_CASE("MNIST batches equal the stacked samples, with and without random transforms", "[plugin][torchvision]") {
  const std::vector<int64_t> indices{4, 0, 5, 0};
  auto plain = fashion(kGzRoot);
  torch::Generator g = generator(1);
  Dict batch = plain->get_batch(indices, g);
  CHECK(batch.keys() == std::vector<std::string>{"input", "target", "id"});
  CHECK(batch.tensor("input").sizes() == torch::IntArrayRef({4, 1, 28, 28}));
  CHECK(torch::equal(batch.tensor("id"), torch::tensor(indices, torch::kLong)));
  for (size_t i = 0; i < indices.size(); ++i) {
    CHECK(torch::equal(batch.tensor("input")[i], fixture_image(indices[i])));
    CHECK(batch.tensor("target")[i].item<int64_t>() == kTrainLabels[indices[i]]);
  }

  auto augment = transform(
      "Compose", {},
      {{"transforms", {transform("RandomCrop", {{"size", 28}, {"padding", 4}}), transform("RandomHorizontalFlip")}}});
  auto augmented = dataset("FashionMNIST", {{"root", kGzRoot.string()}}, {{"transform", augment}});
  torch::Generator batch_generator = generator(7), sample_generator = generator(7);
  Dict random_batch = augmented->get_batch(indices, batch_generator);
  std::vector<Dict> samples;
  for (int64_t i : indices) samples.push_back(augmented->get(i, sample_generator));
  Dict stacked = lighter::collate(samples);
  CHECK(torch::equal(random_batch.tensor("input"), stacked.tensor("input")));
  CHECK(torch::equal(random_batch.tensor("target"), stacked.tensor("target")));
  CHECK(torch::equal(random_batch.tensor("id"), stacked.tensor("id")));
  CHECK_FALSE(torch::equal(random_batch.tensor("input"), batch.tensor("input")));  // the transform ran
}

TEST_CASE("MNIST datasets load the same batches from DataLoader worker threads", "[plugin][torchvision]") {
  const auto& data = lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_DATA);
  auto flip = transform("RandomHorizontalFlip");
  auto ds = dataset("FashionMNIST", {{"root", kGzRoot.string()}}, {{"transform", flip}});
  auto epoch = [&](int64_t workers) {
    auto loader = data.make<lighter::DataLoader>(
        "torch.utils.data.DataLoader", {{"batch_size", 2}, {"shuffle", true}, {"seed", 3}, {"num_workers", workers}},
        {{"dataset", ds}});
    loader->start_epoch(1);
    std::vector<torch::Tensor> inputs;
    while (auto batch = loader->next()) inputs.push_back(batch->tensor("input"));
    return torch::cat(inputs);
  };
  CHECK(torch::equal(epoch(0), epoch(3)));
}

TEST_CASE("MNIST datasets reject broken idx files naming the file and the problem", "[plugin][torchvision]") {
  TempDir dir;
  const std::string images = raw_file("train-images-idx3-ubyte"), labels = raw_file("train-labels-idx1-ubyte");
  auto error_of = [&] {
    try {
      fashion(dir.path());
    } catch (const ParamError& e) {
      CHECK_THAT(e.key_path(), Catch::EndsWith("::root"));
      return std::string(e.what());
    }
    return std::string("no error");
  };
  SECTION("bad magic number") {
    write_train_files(dir, labels, labels);  // labels where the images belong
    CHECK_THAT(error_of(),
               Catch::Contains("train-images-idx3-ubyte: bad magic number 0x00000801, expected 0x00000803"));
  }
  SECTION("truncated pixel data") {
    write_train_files(dir, images.substr(0, images.size() - 10), labels);
    CHECK_THAT(error_of(), Catch::Contains("train-images-idx3-ubyte: truncated: the header declares 4704 bytes of "
                                           "images, only 4694 follow"));
  }
  SECTION("truncated header") {
    write_train_files(dir, images, labels.substr(0, 6));
    CHECK_THAT(error_of(), Catch::Contains("train-labels-idx1-ubyte: truncated: the idx header needs 8 bytes"));
  }
  SECTION("trailing bytes") {
    write_train_files(dir, images + "xy", labels);
    CHECK_THAT(error_of(), Catch::Contains("2 unexpected bytes after the 4704 bytes of images"));
  }
  SECTION("truncated gzip stream") {
    const std::string gz = read_text(kGzRoot / "train-images-idx3-ubyte.gz");
    write_text(dir / "train-images-idx3-ubyte.gz", gz.substr(0, gz.size() / 2));
    write_text(dir / "train-labels-idx1-ubyte", labels);
    CHECK_THAT(error_of(), Catch::Contains("train-images-idx3-ubyte.gz: truncated gzip stream"));
  }
  SECTION("images and labels disagree on the count") {
    write_train_files(dir, images, raw_file("t10k-labels-idx1-ubyte"));
    CHECK_THAT(error_of(), Catch::Contains("holds 6 images but") && Catch::Contains("holds 3 labels"));
  }
  SECTION("a label that is no class") {
    std::string bad = labels;
    bad[8 + 2] = 10;
    write_train_files(dir, images, bad);
    CHECK_THAT(error_of(), Catch::Contains("label 10 at index 2 is not a class 0-9"));
  }
  SECTION("missing files and folders") {
    CHECK_THAT(error_of(), Catch::Contains("found no train-images-idx3-ubyte (or train-images-idx3-ubyte.gz)") &&
                               Catch::Contains("/usr/share/datasets/fashion-mnist"));
    CHECK_THROWS_WITH(fashion(dir / "absent"), Catch::Contains("is not a directory"));
  }
}

TEST_CASE("MNIST datasets explain that they cannot download", "[plugin][torchvision]") {
  TempDir empty;
  CHECK_THROWS_WITH(dataset("FashionMNIST", {{"root", empty.path().string()}, {"download", true}}),
                    Catch::Contains("lighter does not download") &&
                        Catch::Contains("/usr/share/datasets/fashion-mnist"));
  CHECK_THROWS_AS(dataset("MNIST", {{"root", (empty / "absent").string()}, {"download", true}}), ParamError);
  CHECK(dataset("MNIST", {{"root", kGzRoot.string()}, {"download", true}})->size() == 6);  // the files are there
  CHECK_THROWS_AS(dataset("MNIST", {}), ParamError);  // root is required
}

TEST_CASE("The real Fashion-MNIST files load when installed", "[plugin][torchvision]") {
  const fs::path root = "/usr/share/datasets/fashion-mnist";
  LIGHTER_REQUIRE_TOOL(fs::exists(root / "train-labels-idx1-ubyte.gz"), "Debian's dataset-fashion-mnist");
  auto train = fashion(root), test = fashion(root, false);
  CHECK(train->size() == 60000);
  CHECK(test->size() == 10000);
  torch::Generator g = generator(0);
  Dict first = train->get_batch({0, 1, 2, 3}, g);
  CHECK(torch::equal(first.tensor("target"), torch::tensor({9, 0, 0, 3}, torch::kLong)));  // ankle boot, T-shirt, ...
  CHECK(first.tensor("input")[0].sum().item<double>() == Approx(76247.0 / 255));
  CHECK(test->get(0, g).tensor("target").item<int64_t>() == 9);
}

TEST_CASE("Normalize subtracts the mean and divides by the std per channel", "[plugin][torchvision]") {
  torch::Generator g = generator(0);
  auto image = floats({1.0, 0.0, 0.5, 1.0}).view({2, 1, 2});
  auto normalize = transform("Normalize", {{"mean", Array{0.5, 0.25}}, {"std", Array{0.5, 2}}});
  CHECK(torch::allclose(normalize->apply(image, g), floats({1.0, -1.0, 0.125, 0.375}).view({2, 1, 2})));
  auto one_value = transform("Normalize", {{"mean", Array{1}}, {"std", Array{2}}});
  CHECK(torch::allclose(one_value->apply(image, g), (image - 1) / 2));
  CHECK_THROWS_WITH(normalize->apply(torch::zeros({3, 2, 2}), g),
                    Catch::Contains("the image has 3 channels but mean has 2 values"));
  CHECK_THROWS_WITH(normalize->apply(torch::zeros({2, 2, 2}, torch::kByte), g),
                    Catch::Contains("expected a float image"));
  CHECK_THROWS_WITH(transform("Normalize", {{"mean", Array{0, 0}}, {"std", Array{1, 0}}}),
                    Catch::Contains("std[1] is 0"));
  CHECK_THROWS_AS(transform("Normalize", {{"mean", Array{}}, {"std", Array{}}}), ParamError);
}

TEST_CASE("RandomHorizontalFlip flips when its generator's draw is below p", "[plugin][torchvision]") {
  auto image = torch::arange(6, torch::kFloat).view({1, 2, 3});
  auto mirrored = floats({2.0, 1, 0, 5, 4, 3}).view({1, 2, 3});
  torch::Generator g = generator(0);
  CHECK(torch::equal(transform("RandomHorizontalFlip", {{"p", 1.0}})->apply(image, g), mirrored));
  CHECK(torch::equal(transform("RandomHorizontalFlip", {{"p", 0.0}})->apply(image, g), image));
  auto flip = transform("RandomHorizontalFlip");
  torch::Generator a = generator(11), draws = generator(11);
  int flipped = 0;
  for (int i = 0; i < 32; ++i) {
    const bool expected = torch::rand({1}, draws).item<double>() < 0.5;
    auto out = flip->apply(image, a);
    CHECK(torch::equal(out, expected ? mirrored : image));
    flipped += expected;
  }
  CHECK(flipped > 0);
  CHECK(flipped < 32);
  CHECK(torch::equal(transform("RandomVerticalFlip", {{"p", 1.0}})->apply(image, g), image.flip({1})));
  CHECK_THROWS_WITH(transform("RandomHorizontalFlip", {{"p", 1.5}}), Catch::Contains("probability"));
}

TEST_CASE("RandomCrop crops where its generator says, after padding", "[plugin][torchvision]") {
  auto image = torch::arange(1, 10, torch::kFloat).view({1, 3, 3});  // 1..9
  torch::Generator g = generator(0);

  SECTION("constant padding with fill; the window comes from two draws, top then left") {
    auto crop = transform("RandomCrop", {{"size", Array{3, 4}}, {"padding", 2}, {"fill", -1.0}});
    auto padded = torch::constant_pad_nd(image, {2, 2, 2, 2}, -1);
    torch::Generator a = generator(5), draws = generator(5);
    for (int i = 0; i < 8; ++i) {
      const int64_t top = torch::randint(0, 5, {1}, draws).item<int64_t>();
      const int64_t left = torch::randint(0, 4, {1}, draws).item<int64_t>();
      auto out = crop->apply(image, a);
      CHECK(out.sizes() == torch::IntArrayRef({1, 3, 4}));
      CHECK(torch::equal(out, padded.slice(1, top, top + 3).slice(2, left, left + 4)));
    }
  }
  SECTION("padding modes; a crop of the padded size draws nothing") {
    auto full = [&](Value::Table extra) {
      extra.emplace_back("size", 5);
      extra.emplace_back("padding", 1);
      return transform("RandomCrop", extra)->apply(image, g)[0];
    };
    // Row 0 of the padded image: left/right neighbours of image row 0 or its mirror.
    CHECK(torch::equal(full({})[0], torch::zeros({5})));
    CHECK(torch::equal(full({{"padding_mode", "reflect"}})[0], floats({5.0, 4, 5, 6, 5})));
    CHECK(torch::equal(full({{"padding_mode", "symmetric"}})[0], floats({1.0, 1, 2, 3, 3})));
    CHECK(torch::equal(full({{"padding_mode", "edge"}})[4], floats({7.0, 7, 8, 9, 9})));
    CHECK(torch::equal(full({{"padding_mode", "replicate"}}), full({{"padding_mode", "edge"}})));
    torch::Generator untouched = g.clone();
    CHECK(torch::equal(transform("RandomCrop", {{"size", 3}})->apply(image, g), image));
    CHECK(torch::rand({1}, g).item<double>() == torch::rand({1}, untouched).item<double>());
  }
  SECTION("padding lists: [left/right, top/bottom] and [left, top, right, bottom]") {
    CHECK(transform("RandomCrop", {{"size", Array{3, 7}}, {"padding", Array{2, 0}}})->apply(image, g).sizes() ==
          torch::IntArrayRef({1, 3, 7}));
    auto out = transform("RandomCrop", {{"size", Array{4, 5}}, {"padding", Array{2, 1, 0, 0}}})->apply(image, g);
    CHECK(torch::equal(out, torch::constant_pad_nd(image, {2, 0, 1, 0}, 0)));
  }
  SECTION("pad_if_needed pads small images on both sides; otherwise they are an error") {
    torch::Generator a = generator(2), draws = generator(2);
    auto out = transform("RandomCrop", {{"size", Array{3, 5}}, {"pad_if_needed", true}})->apply(image, a);
    CHECK(torch::randint(0, 1, {1}, draws).item<int64_t>() == 0);  // the top is drawn even with no room
    const int64_t left = torch::randint(0, 3, {1}, draws).item<int64_t>();
    CHECK(torch::equal(out, torch::constant_pad_nd(image, {2, 2, 0, 0}, 0).slice(2, left, left + 5)));
    CHECK_THROWS_WITH(transform("RandomCrop", {{"size", 4}})->apply(image, g),
                      Catch::Contains("crop size [4, 4] is larger than the padded image [3, 3]"));
    CHECK_THROWS_WITH(
        transform("RandomCrop", {{"size", 3}, {"padding", 3}, {"padding_mode", "reflect"}})->apply(image, g),
        Catch::Contains("reflect padding of 3"));
  }
  SECTION("invalid parameters") {
    CHECK_THROWS_AS(transform("RandomCrop", {{"size", 0}}), ParamError);
    CHECK_THROWS_AS(transform("RandomCrop", {{"size", Array{1, 2, 3}}}), ParamError);
    CHECK_THROWS_WITH(transform("RandomCrop", {{"size", 2}, {"padding", Array{1, 2, 3}}}), Catch::Contains("padding"));
    CHECK_THROWS_AS(transform("RandomCrop", {{"size", 2}, {"padding_mode", "wrap"}}), ParamError);
    CHECK_THROWS_AS(transform("RandomCrop", {}), ParamError);
  }
}

TEST_CASE("Compose applies its transforms in order", "[plugin][torchvision]") {
  auto normalize = transform("Normalize", {{"mean", Array{0.5}}, {"std", Array{0.5}}});
  auto pad = transform("RandomCrop", {{"size", 4}, {"padding", 1}});  // crop = padded size: only pads
  auto compose = [&](std::vector<std::shared_ptr<Transform>> ts) {
    std::vector<lighter::ObjectPtr> objects(ts.begin(), ts.end());
    return transform("Compose", {}, {{"transforms", objects}});
  };
  auto ones = torch::ones({1, 2, 2});
  torch::Generator g = generator(0);
  auto normalize_then_pad = compose({normalize, pad})->apply(ones, g);
  auto pad_then_normalize = compose({pad, normalize})->apply(ones, g);
  CHECK(normalize_then_pad[0][0][0].item<float>() == 0.0f);   // padding added after normalizing
  CHECK(pad_then_normalize[0][0][0].item<float>() == -1.0f);  // (0 - 0.5) / 0.5
  CHECK(torch::equal(normalize_then_pad[0].slice(0, 1, 3).slice(1, 1, 3), torch::ones({2, 2})));
  CHECK(torch::equal(compose({})->apply(ones, g), ones));
  CHECK(
      torch::equal(transform("ToTensor")->apply(torch::full({1, 1, 1}, 255, torch::kByte), g), torch::ones({1, 1, 1})));
}
