// torchvision.datasets.CIFAR10 / CIFAR100 read the binary version's records from small files
// written here, give ToTensor's float [3, 32, 32] images, and explain missing or broken files;
// `download: true` is accepted when the files are in place (MNIST's too) and otherwise says
// that lighter does not download.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <lighter/data.hpp>

#include <filesystem>

#include "support/host_runner.hpp"

namespace fs = std::filesystem;
using lighter::Dataset;
using lighter::Dict;
using lighter::ParamError;
using lighter::Transform;
using lighter::Value;
using lighter::test::TempDir;
using lighter::test::write_text;
using Array = Value::Array;

namespace {
const lighter::test::PluginHarness& vision() { return lighter::test::plugin(LIGHTER_PLUGIN_TORCHVISION); }
torch::Generator generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

std::shared_ptr<Dataset> dataset(const std::string& name, Value::Table values, lighter::test::Objects objects = {}) {
  return vision().make<Dataset>("torchvision.datasets." + name, std::move(values), std::move(objects));
}

// Image i of the generated files: channel c, row y, column x holds (7 i + 50 c + 3 y + x) mod 256.
torch::Tensor image_pixels(int64_t i) {
  auto c = torch::arange(3).view({3, 1, 1}), y = torch::arange(32).view({1, 32, 1}), x = torch::arange(32).view({1, 1, 32});
  return (7 * i + 50 * c + 3 * y + x).remainder(256);
}

// Records for images first..first+count-1: the label bytes, then R, G and B planes row by row.
std::string records(int64_t first, int64_t count, const std::function<std::string(int64_t)>& labels) {
  std::string out;
  for (int64_t i = first; i < first + count; ++i) {
    out += labels(i);
    auto pixels = image_pixels(i).to(torch::kByte).contiguous();
    out.append(reinterpret_cast<const char*>(pixels.data_ptr<uint8_t>()), 3 * 32 * 32);
  }
  return out;
}

int64_t cifar10_label(int64_t i) { return (3 * i + 1) % 10; }
int64_t cifar100_label(int64_t i) { return (37 * i + 5) % 100; }
std::string one_byte(int64_t v) { return std::string(1, static_cast<char>(v)); }

// CIFAR-10: five training files of 2 records each (images 0-9), a test file of 3 (images 10-12).
void write_cifar10(const TempDir& root) {
  const fs::path dir = root / "cifar-10-batches-bin";
  fs::create_directories(dir);
  auto label = [](int64_t i) { return one_byte(cifar10_label(i)); };
  for (int k = 1; k <= 5; ++k) write_text(dir / ("data_batch_" + std::to_string(k) + ".bin"), records(2 * (k - 1), 2, label));
  write_text(dir / "test_batch.bin", records(10, 3, label));
}

// CIFAR-100: coarse label (fine / 5), then the fine label.
void write_cifar100(const TempDir& root) {
  const fs::path dir = root / "cifar-100-binary";
  fs::create_directories(dir);
  auto labels = [](int64_t i) { return one_byte(cifar100_label(i) / 5) + one_byte(cifar100_label(i)); };
  write_text(dir / "train.bin", records(0, 4, labels));
  write_text(dir / "test.bin", records(4, 2, labels));
}

std::string error_of(const std::function<void()>& build, const std::string& key) {
  try {
    build();
  } catch (const ParamError& e) {
    CHECK_THAT(e.key_path(), Catch::EndsWith("::" + key));
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("CIFAR10 reads the binary batches as ToTensor floats [3, 32, 32]", "[plugin][torchvision][cifar]") {
  TempDir root;
  write_cifar10(root);
  auto train = dataset("CIFAR10", {{"root", root.path().string()}});
  REQUIRE(train->size() == 10);
  torch::Generator g = generator(0);
  for (int64_t i : {0, 3, 9}) {
    INFO("sample " << i);
    const Dict sample = train->get(i, g);
    CHECK(sample.tensor("input").scalar_type() == torch::kFloat);
    CHECK(sample.tensor("input").sizes() == torch::IntArrayRef({3, 32, 32}));
    CHECK(torch::equal(sample.tensor("input"), image_pixels(i).to(torch::kFloat).div(255)));
    CHECK(sample.tensor("target").scalar_type() == torch::kLong);
    CHECK(sample.tensor("target").item<int64_t>() == cifar10_label(i));
    CHECK(sample.at("id").toInt() == i);
  }
  CHECK(train->get(0, g).tensor("input")[1][0][0].item<float>() == 50.0f / 255);  // G plane starts at byte 1025

  auto test = dataset("CIFAR10", {{"root", root.path().string()}, {"train", false}});
  REQUIRE(test->size() == 3);
  const Dict batch = test->get_batch({2, 0}, g);
  CHECK(batch.tensor("input").sizes() == torch::IntArrayRef({2, 3, 32, 32}));
  CHECK(torch::equal(batch.tensor("input")[0], image_pixels(12).to(torch::kFloat).div(255)));
  CHECK(torch::equal(batch.tensor("target"), torch::tensor({cifar10_label(12), cifar10_label(10)}, torch::kLong)));
  CHECK_THROWS_AS(test->get(3, g), std::out_of_range);
}

TEST_CASE("CIFAR datasets run transforms per sample and batch alike", "[plugin][torchvision][cifar]") {
  TempDir root;
  write_cifar10(root);
  auto crop = vision().make<Transform>("torchvision.transforms.RandomCrop", {{"size", 32}, {"padding", 4}});
  auto ds = dataset("CIFAR10", {{"root", root.path().string()}}, {{"transform", crop}});
  CHECK(ds->random());
  torch::Generator batch_generator = generator(3), sample_generator = generator(3);
  const std::vector<int64_t> indices{7, 1, 1, 4};
  const Dict batch = ds->get_batch(indices, batch_generator);
  std::vector<Dict> samples;
  for (int64_t i : indices) samples.push_back(ds->get(i, sample_generator));
  const Dict stacked = lighter::collate(samples);
  CHECK(torch::equal(batch.tensor("input"), stacked.tensor("input")));
  CHECK(torch::equal(batch.tensor("target"), stacked.tensor("target")));

  SECTION("target_transform applies to the target, after the image's transform") {
    auto normalize = vision().make<Transform>("torchvision.transforms.Normalize", {{"mean", Array{1}}, {"std", Array{2}}});
    auto targets = dataset("CIFAR10", {{"root", root.path().string()}},
                           {{"transform", crop}, {"target_transform", normalize}});
    torch::Generator a = generator(5), b = generator(5);
    // Normalize wants a float image: an int64 target shows that the target went through it.
    CHECK_THROWS_WITH(targets->get(0, a), Catch::Contains("Normalize: expected a float image"));
    CHECK_THROWS_WITH(targets->get_batch({0, 1}, b), Catch::Contains("Normalize: expected a float image"));
  }
}

TEST_CASE("CIFAR100 gives the fine label as the target", "[plugin][torchvision][cifar]") {
  TempDir root;
  write_cifar100(root);
  auto train = dataset("CIFAR100", {{"root", root.path().string()}, {"download", true}});
  REQUIRE(train->size() == 4);
  torch::Generator g = generator(0);
  const Dict all = train->get_batch({0, 1, 2, 3}, g);
  CHECK(torch::equal(all.tensor("target"), torch::tensor({5, 42, 79, 16}, torch::kLong)));
  CHECK(torch::equal(all.tensor("input")[3], image_pixels(3).to(torch::kFloat).div(255)));
  auto test = dataset("CIFAR100", {{"root", root.path().string()}, {"train", false}});
  REQUIRE(test->size() == 2);
  CHECK(test->get(1, g).tensor("target").item<int64_t>() == cifar100_label(5));
  CHECK(torch::equal(test->get(1, g).tensor("input"), image_pixels(5).to(torch::kFloat).div(255)));
}

TEST_CASE("CIFAR datasets name the expected files and their source when they are missing",
          "[plugin][torchvision][cifar]") {
  TempDir root;
  const std::string folder = (root / "cifar-10-batches-bin").string();
  auto cifar10 = [&](Value::Table extra = {}) {
    extra.emplace_back("root", root.path().string());
    return [extra] { dataset("CIFAR10", extra); };
  };
  SECTION("nothing there") {
    const std::string error = error_of(cifar10(), "root");
    CHECK_THAT(error, Catch::Contains("found no data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, "
                                      "data_batch_4.bin, data_batch_5.bin in " + folder));
    CHECK_THAT(error, Catch::Contains("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, extracted into root"));
    CHECK_THAT(error_of(cifar10({{"train", false}}), "root"), Catch::Contains("found no test_batch.bin in " + folder));
    CHECK_THAT(error_of([&] { dataset("CIFAR100", {{"root", root.path().string()}}); }, "root"),
               Catch::Contains("found no train.bin in " + (root / "cifar-100-binary").string()) &&
                   Catch::Contains("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"));
  }
  SECTION("one batch missing") {
    write_cifar10(root);
    fs::remove(root / "cifar-10-batches-bin" / "data_batch_4.bin");
    CHECK_THAT(error_of(cifar10(), "root"), Catch::Contains("found no data_batch_4.bin in " + folder + "; "));
    CHECK_NOTHROW(cifar10({{"train", false}})());
  }
  SECTION("download = true: fine with the files, else it says lighter does not download") {
    const std::string error = error_of(cifar10({{"download", true}}), "download");
    CHECK_THAT(error, Catch::Contains("lighter does not download datasets") && Catch::Contains("data_batch_1.bin") &&
                          Catch::Contains("cifar-10-binary.tar.gz"));
    write_cifar10(root);
    CHECK_NOTHROW(cifar10({{"download", true}})());
  }
  SECTION("the Python (pickled) version is pointed out") {
    fs::create_directories(root / "cifar-10-batches-py");
    CHECK_THAT(error_of(cifar10(), "root"), Catch::Contains("cifar-10-batches-py/ of the Python version"));
  }
  SECTION("root is not a directory") {
    CHECK_THAT(error_of([&] { dataset("CIFAR10", {{"root", (root / "absent").string()}}); }, "root"),
               Catch::Contains("is not a directory; expected data_batch_1.bin"));
  }
}

TEST_CASE("CIFAR datasets reject truncated and foreign files", "[plugin][torchvision][cifar]") {
  TempDir root;
  write_cifar10(root);
  const fs::path batch = root / "cifar-10-batches-bin" / "data_batch_2.bin";
  auto train_error = [&] { return error_of([&] { dataset("CIFAR10", {{"root", root.path().string()}}); }, "root"); };
  SECTION("a record cut short") {
    write_text(batch, records(2, 2, [](int64_t) { return one_byte(1); }).substr(0, 3073 + 100));
    CHECK_THAT(train_error(), Catch::Contains("data_batch_2.bin: 3173 bytes is not a whole number of 3073-byte "
                                              "records (1 label byte(s) + 3072 pixel bytes)"));
  }
  SECTION("an empty file") {
    write_text(batch, "");
    CHECK_THAT(train_error(), Catch::Contains("data_batch_2.bin: 0 bytes is not a whole number"));
  }
  SECTION("a label that is no class (a CIFAR-100 file where CIFAR-10's belongs)") {
    write_text(batch, records(2, 2, [](int64_t i) { return one_byte(i == 3 ? 57 : 1); }));
    CHECK_THAT(train_error(), Catch::Contains("data_batch_2.bin: label 57 of record 1 is not a class 0-9"));
  }
  SECTION("CIFAR-100 records are 3074 bytes") {
    write_cifar100(root);
    write_text(root / "cifar-100-binary" / "test.bin", records(0, 2, [](int64_t) { return one_byte(1); }));
    CHECK_THAT(error_of([&] { dataset("CIFAR100", {{"root", root.path().string()}, {"train", false}}); }, "root"),
               Catch::Contains("6146 bytes is not a whole number of 3074-byte records"));
  }
}

TEST_CASE("MNIST datasets accept download = true when the files are in place", "[plugin][torchvision][cifar]") {
  const fs::path gz_root = fs::path(LIGHTER_TEST_DATA_DIR) / "datasets" / "idx_gz";
  CHECK(dataset("FashionMNIST", {{"root", gz_root.string()}, {"download", true}})->size() == 6);
  TempDir empty;
  const std::string error =
      error_of([&] { dataset("MNIST", {{"root", empty.path().string()}, {"download", true}}); }, "download");
  CHECK_THAT(error, Catch::Contains("lighter does not download datasets") &&
                        Catch::Contains("found no train-images-idx3-ubyte (or train-images-idx3-ubyte.gz), "
                                        "train-labels-idx1-ubyte (or train-labels-idx1-ubyte.gz)") &&
                        Catch::Contains("MNIST/raw") && Catch::Contains("http://yann.lecun.com/exdb/mnist/"));
}
