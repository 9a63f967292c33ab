// lighter.callbacks.FileWriter and its writer functions: each writer's file read back (in C++,
// and in Python's torch / NumPy / PIL when /usr/bin/python3 has them), file naming by index and
// by name key across batches and ranks, names that try to leave the folder, and every error.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "support/ci.hpp"
#include "support/fake_trainer.hpp"

using lighter::Callback;
using lighter::Dict;
using lighter::Value;
using lighter::test::FakeModel;
using lighter::test::FakeTrainer;
using lighter::test::file_names;
using lighter::test::read_text;
using lighter::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using Strings = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {
const lighter::test::PluginHarness& callbacks() { return lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_CALLBACKS); }

std::shared_ptr<Callback> file_writer(Value::Table values) {
  return callbacks().make<Callback>("lighter.callbacks.FileWriter", std::move(values));
}

// Calls a registered writer function directly.
void write_with(const std::string& name, const fs::path& file, const c10::IValue& value) {
  callbacks();  // loading the plugin fills the SDK's writer registry
  const lighter::WriterFunction* writer = lighter::find_writer(name);
  REQUIRE(writer != nullptr);
  writer->write(file, value);
}

// A predict epoch in a temp folder; the writer writes into <temp>/out.
struct Predict {
  explicit Predict(Value::Table values, int64_t rank = 0, int64_t ranks = 1) : dir("lighter-file-writer") {
    trainer.stage_name = "predict";
    trainer.rank = rank;
    trainer.ranks = ranks;
    values.emplace_back("directory", out().string());
    writer = file_writer(std::move(values));
    writer->on_predict_epoch_start(trainer, model);
  }
  void batch(const Dict& outputs) { writer->on_predict_batch_end(trainer, model, outputs, Dict{}, batch_idx++); }
  fs::path out() const { return dir.path() / "out"; }

  TempDir dir;
  FakeTrainer trainer;
  FakeModel model;
  std::shared_ptr<Callback> writer;
  int64_t batch_idx = 0;
};

Value::Table tensors_as(const std::string& writer_fn) { return {{"value_key", "pred"}, {"writer_fn", writer_fn}}; }

// Python, when /usr/bin/python3 can import `module`: runs `script` and returns what it printed.
bool python_has(const std::string& module) {
  return std::system(("/usr/bin/python3 -c 'import " + module + "' >/dev/null 2>&1").c_str()) == 0;
}
std::string python(const fs::path& folder, const std::string& script) {
  const fs::path file = folder / "check.py";
  std::ofstream(file) << script;
  std::string printed;
  FILE* pipe = popen(("/usr/bin/python3 " + file.string() + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[256];
  while (fgets(buffer, sizeof buffer, pipe)) printed += buffer;
  REQUIRE(pclose(pipe) == 0);
  return printed;
}

// --- a PNG reader built on zlib's inflate (loaded at run time: the tests link no zlib) --------

uint32_t be32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

uint32_t crc32_of(const std::string& bytes) {  // the PNG specification's CRC, bit by bit
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}

std::string inflate(const std::string& data, size_t size) {
  std::string out(size, '\0');
  uLongf out_size = size;
  REQUIRE(::uncompress(reinterpret_cast<Bytef*>(out.data()), &out_size, reinterpret_cast<const Bytef*>(data.data()),
                        data.size()) == Z_OK);
  REQUIRE(out_size == size);
  return out;
}

struct Png {
  uint32_t width = 0, height = 0;
  int color_type = -1;
  std::vector<int> pixels;  // row-major, channels interleaved
};

Png read_png(const fs::path& file) {
  const std::string bytes = read_text(file);
  REQUIRE(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  Png png;
  std::string idat;
  Strings chunks;
  for (size_t at = 8; at < bytes.size();) {
    const uint32_t length = be32(bytes, at);
    const std::string type_and_data = bytes.substr(at + 4, 4 + length);
    CHECK(be32(bytes, at + 8 + length) == crc32_of(type_and_data));
    chunks.push_back(type_and_data.substr(0, 4));
    const std::string data = type_and_data.substr(4);
    if (chunks.back() == "IHDR") {
      png.width = be32(data, 0);
      png.height = be32(data, 4);
      CHECK(data.substr(8) == std::string({'\x08', data[9], '\0', '\0', '\0'}));  // 8-bit, deflate, no interlace
      png.color_type = data[9];
    }
    if (chunks.back() == "IDAT") idat += data;
    at += 12 + length;
  }
  CHECK(chunks == Strings{"IHDR", "IDAT", "IEND"});
  const size_t channels = png.color_type == 2 ? 3 : 1, row = png.width * channels;
  const std::string raw = inflate(idat, (row + 1) * png.height);
  for (size_t y = 0; y < png.height; ++y) {
    CHECK(raw[y * (row + 1)] == '\0');  // filter type 0
    for (size_t x = 0; x < row; ++x) png.pixels.push_back(static_cast<unsigned char>(raw[y * (row + 1) + 1 + x]));
  }
  return png;
}

std::vector<int> ints(const torch::Tensor& t) {
  const torch::Tensor flat = t.to(torch::kLong).flatten().contiguous();
  return {flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel()};
}
}  // namespace

TEST_CASE("FileWriter's writer registry holds the built-in writer functions", "[plugin][file_writer]") {
  Strings names;
  for (const auto& w : callbacks().writers()) names.push_back(w.name + w.suffix);
  CHECK(names == Strings{"tensor.pt", "image_2d.png", "image_3d.png", "text.txt", "npy.npy"});
  for (const auto& w : callbacks().writers()) CHECK(lighter::find_writer(w.name) != nullptr);
}

TEST_CASE("The tensor writer writes what torch::pickle_load and Python's torch.load read", "[plugin][file_writer]") {
  Predict run(tensors_as("tensor"));
  const torch::Tensor batch = torch::arange(12, torch::kFloat).reshape({3, 2, 2}) / 4;
  run.batch({{"pred", batch}});
  CHECK(file_names(run.out()) == Strings{"0.pt", "1.pt", "2.pt"});
  const std::string bytes = read_text(run.out() / "1.pt");
  const torch::Tensor loaded = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toTensor();
  CHECK(torch::equal(loaded, batch[1]));
  CHECK(loaded.storage().nbytes() == 4 * sizeof(float));  // the sample only, not its batch's storage
  LIGHTER_REQUIRE_TOOL(python_has("torch"), "/usr/bin/python3 with torch (Debian: python3-torch)");
  CHECK(python(run.dir.path(), "import torch\nt = torch.load('" + (run.out() / "1.pt").string() +
                                   "')\nprint(t.dtype, list(t.shape), t.flatten().tolist())\n") ==
        "torch.float32 [2, 2] [1.0, 1.25, 1.5, 1.75]\n");
}

TEST_CASE("The npy writer writes NumPy's header byte for byte and the data in C order", "[plugin][file_writer]") {
  TempDir dir("lighter-npy");
  const auto header = [](const std::string& dict) {
    std::string h = dict;
    h.resize(117, ' ');
    return std::string("\x93NUMPY\x01\x00v\x00", 10) + h + "\n";
  };
  const fs::path f32 = dir.path() / "f.npy", i64 = dir.path() / "i.npy", b1 = dir.path() / "b.npy", u1 = dir.path() / "u.npy";
  write_with("npy", f32, torch::tensor({1.5f, -2.0f, 0.25f}));
  write_with("npy", i64, torch::arange(6, torch::kLong).reshape({2, 3}).t());  // not contiguous
  write_with("npy", b1, c10::IValue(true));
  write_with("npy", u1, torch::full({4, 5, 6}, 7, torch::kUInt8));
  const std::string f = read_text(f32), i = read_text(i64);
  CHECK(f.substr(0, 128) == header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
  CHECK(i.substr(0, 128) == header("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }"));
  CHECK(read_text(b1) == header("{'descr': '|b1', 'fortran_order': False, 'shape': (), }") + std::string(1, '\x01'));
  CHECK(read_text(u1).substr(0, 128) == header("{'descr': '|u1', 'fortran_order': False, 'shape': (4, 5, 6), }"));
  CHECK(f.size() == 128 + 3 * 4);
  std::vector<int64_t> data(6);
  std::memcpy(data.data(), i.data() + 128, 6 * sizeof(int64_t));
  CHECK(data == std::vector<int64_t>{0, 3, 1, 4, 2, 5});
  LIGHTER_REQUIRE_TOOL(python_has("numpy"), "/usr/bin/python3 with numpy (Debian: python3-numpy)");
  CHECK(python(dir.path(), "import numpy as np\nfor f in ['f', 'i', 'b', 'u']:\n    a = np.load('" + dir.path().string() +
                               "/' + f + '.npy')\n    print(a.dtype, a.shape, a.flatten().tolist()[:3])\n") ==
        "float32 (3,) [1.5, -2.0, 0.25]\nint64 (3, 2) [0, 3, 1]\nbool () [True]\nuint8 (4, 5, 6) [7, 7, 7]\n");
}

TEST_CASE("image_2d writes 8-bit grey and RGB PNGs, clamped to [0, 1] and rounded", "[plugin][file_writer]") {
  Predict run(tensors_as("image_2d"));
  const torch::Tensor grey = torch::tensor({-0.5f, 0.0f, 0.1f, 0.5f, 1.0f, 1.5f}).reshape({1, 1, 2, 3});
  run.batch({{"pred", grey}});
  const Png g = read_png(run.out() / "0.png");
  CHECK((g.width == 3 && g.height == 2 && g.color_type == 0));
  CHECK(g.pixels == std::vector<int>{0, 0, 26, 128, 255, 255});
  const torch::Tensor rgb = torch::rand({2, 3, 4, 5});
  run.batch({{"pred", rgb}});
  const Png c = read_png(run.out() / "2.png");
  CHECK((c.width == 5 && c.height == 4 && c.color_type == 2));
  CHECK(c.pixels == ints((rgb[1].permute({1, 2, 0}).to(torch::kDouble) * 255 + 0.5).floor()));
  run.batch({{"pred", torch::full({1, 3, 1, 1}, 200, torch::kUInt8)}});  // 8-bit values as they are
  CHECK(read_png(run.out() / "3.png").pixels == std::vector<int>{200, 200, 200});
  LIGHTER_REQUIRE_TOOL(python_has("PIL"), "/usr/bin/python3 with PIL (Debian: python3-pil)");
  CHECK(python(run.dir.path(), "from PIL import Image\nfor f in ['0', '2']:\n    im = Image.open('" + run.out().string() +
                                   "/' + f + '.png')\n    print(im.mode, im.size, list(im.getdata())[:2])\n") ==
        "L (3, 2) [0, 0]\nRGB (5, 4) [(" + std::to_string(c.pixels[0]) + ", " + std::to_string(c.pixels[1]) + ", " +
            std::to_string(c.pixels[2]) + "), (" + std::to_string(c.pixels[3]) + ", " + std::to_string(c.pixels[4]) +
            ", " + std::to_string(c.pixels[5]) + ")]\n");
}

TEST_CASE("image_3d stacks the depth slices of a CDHW volume vertically", "[plugin][file_writer]") {
  Predict run(tensors_as("image_3d"));
  const torch::Tensor volume = torch::arange(24, torch::kFloat).reshape({1, 1, 2, 3, 4}) / 23;
  run.batch({{"pred", volume}});
  const Png png = read_png(run.out() / "0.png");
  CHECK((png.width == 4 && png.height == 6 && png.color_type == 0));
  CHECK(png.pixels == ints((volume.flatten().to(torch::kDouble) * 255 + 0.5).floor()));  // slice 0's rows, then slice 1's
}

TEST_CASE("Image writers name the expected layout for a wrong shape and leave no file", "[plugin][file_writer]") {
  const auto fails = [](const std::string& writer_fn, const torch::Tensor& batch, const std::string& layout) {
    Predict run(tensors_as(writer_fn));
    CHECK_THROWS_WITH(run.batch({{"pred", batch}}),
                      StartsWith("lighter.callbacks.FileWriter: writer '" + writer_fn + "': ") && Contains(layout));
    CHECK(file_names(run.out()).empty());
  };
  fails("image_2d", torch::zeros({2, 4, 4}), "CHW with 1 or 3 channels");           // HW images
  fails("image_2d", torch::zeros({2, 4, 4, 4}), "CHW with 1 or 3 channels");        // 4 channels
  fails("image_2d", torch::zeros({1, 1, 1, 4, 4}), "CHW with 1 or 3 channels");     // a volume
  fails("image_3d", torch::zeros({1, 1, 4, 4}), "CDHW with 1 or 3 channels");       // an image
  fails("image_3d", torch::zeros({1, 2, 2, 4, 4}), "CDHW with 1 or 3 channels");    // 2 channels
  fails("image_2d", torch::zeros({3}), "CHW with 1 or 3 channels");                 // 0-d samples
}

TEST_CASE("The text writer writes strings as they are and numbers and tensors as text", "[plugin][file_writer]") {
  Predict run(tensors_as("text"));
  run.batch({{"pred", c10::List<std::string>({"héllo\n", "b"})}});
  run.batch({{"pred", torch::tensor({{1.5, 0.1}, {-2.0, 1e-7}}, torch::kFloat)}});
  run.batch({{"pred", torch::arange(6, torch::kLong).reshape({1, 2, 3})}});
  run.batch({{"pred", 0.1}});
  run.batch({{"pred", torch::tensor(true)}});
  CHECK(file_names(run.out()) == Strings{"0.txt", "1.txt", "2.txt", "3.txt", "4.txt", "5.txt", "6.txt"});
  CHECK(read_text(run.out() / "0.txt") == "héllo\n");
  CHECK(read_text(run.out() / "2.txt") == "1.5 0.1\n");
  CHECK(read_text(run.out() / "3.txt") == "-2.0 1e-07\n");
  CHECK(read_text(run.out() / "4.txt") == "0 1 2\n3 4 5\n");
  CHECK(read_text(run.out() / "5.txt") == "0.1\n");
  CHECK(read_text(run.out() / "6.txt") == "True\n");
}

TEST_CASE("FileWriter names files by global index across batches, reset each predict epoch", "[plugin][file_writer]") {
  Predict run(tensors_as("npy"));
  run.batch({{"pred", torch::zeros({3, 2})}});
  run.batch({{"pred", torch::zeros({2, 2})}});
  CHECK(file_names(run.out()) == Strings{"0.npy", "1.npy", "2.npy", "3.npy", "4.npy"});
  fs::remove_all(run.out());
  run.writer->on_predict_epoch_start(run.trainer, run.model);
  run.batch({{"pred", torch::zeros({1, 2})}});
  CHECK(file_names(run.out()) == Strings{"0.npy"});
}

TEST_CASE("FileWriter interleaves the indices of two ranks", "[plugin][file_writer]") {
  for (int64_t rank : {0, 1}) {
    Predict run(tensors_as("text"), rank, 2);
    run.batch({{"pred", torch::zeros({2})}});
    run.batch({{"pred", torch::zeros({1})}});
    CHECK(file_names(run.out()) == (rank == 0 ? Strings{"0.txt", "2.txt", "4.txt"} : Strings{"1.txt", "3.txt", "5.txt"}));
  }
}

TEST_CASE("FileWriter names files by name_key values, subfolders included", "[plugin][file_writer]") {
  Value::Table values = tensors_as("text");
  values.emplace_back("name_key", "name");
  Predict run(values);
  run.batch({{"pred", torch::zeros({2})}, {"name", c10::List<std::string>({"cases/a", "b.v2"})}});
  run.batch({{"pred", torch::zeros({2})}, {"name", torch::tensor({7, 42})}});
  run.batch({{"pred", std::string("one")}, {"name", std::string("solo")}});
  CHECK(file_names(run.out()) == Strings{"42.txt", "7.txt", "b.v2.txt", "solo.txt"});
  CHECK(file_names(run.out() / "cases") == Strings{"a.txt"});
  CHECK(read_text(run.out() / "solo.txt") == "one");
}

TEST_CASE("FileWriter rejects names that would leave its folder or name no file", "[plugin][file_writer]") {
  Value::Table values = tensors_as("text");
  values.emplace_back("name_key", "name");
  for (const std::string bad : {"../x", "/abs/x", "a/../../x", "a/..", "", "a/"}) {
    Predict run(values);
    CHECK_THROWS_WITH(run.batch({{"pred", torch::zeros({2})}, {"name", c10::List<std::string>({"ok", bad})}}),
                      StartsWith("lighter.callbacks.FileWriter: file name '" + bad + "'"));
    CHECK(!fs::exists(run.out() / "ok.txt"));  // checked before anything is written
    CHECK(!fs::exists(run.dir.path() / "x.txt"));
  }
  Predict run(values);
  CHECK_THROWS_WITH(run.batch({{"pred", torch::zeros({1})}, {"name", torch::tensor({1.5})}}),
                    Contains("name key 'name': sample 0 is not a string or an integer"));
}

TEST_CASE("FileWriter reports a length mismatch and missing outputs", "[plugin][file_writer]") {
  Value::Table values = tensors_as("text");
  values.emplace_back("name_key", "name");
  Predict run(values);
  CHECK_THROWS_WITH(run.batch({{"pred", torch::zeros({3})}, {"name", c10::List<std::string>({"a", "b"})}}),
                    "lighter.callbacks.FileWriter: value key 'pred' has 3 samples but name key 'name' has 2");
  CHECK_THROWS_WITH(run.batch({{"pred", torch::zeros({1})}}),
                    "lighter.callbacks.FileWriter: the predict step outputs have no 'name' (name_key); they have 'pred'");
  CHECK_THROWS_WITH(run.batch({{"loss", 1.0}}),
                    "lighter.callbacks.FileWriter: the predict step outputs have no 'pred' (value_key); they have 'loss'");
  CHECK(file_names(run.out()).empty());
}

TEST_CASE("FileWriter writes nothing for empty batches, fast_dev_run or other stages", "[plugin][file_writer]") {
  Predict run(tensors_as("tensor"));
  run.batch({{"pred", torch::zeros({0, 3})}});
  run.batch({{"pred", c10::List<std::string>()}});
  run.trainer.dev_run = true;
  run.batch({{"pred", torch::zeros({2})}});
  run.trainer.dev_run = false;
  for (const char* stage : {"fit", "validate", "test"}) {
    run.trainer.stage_name = stage;
    run.batch({{"pred", torch::zeros({2})}});
  }
  CHECK(file_names(run.out()).empty());
  run.trainer.stage_name = "predict";
  run.batch({{"pred", torch::zeros({2})}});
  CHECK(file_names(run.out()) == Strings{"0.pt", "1.pt"});  // no temp files left beside them
}

TEST_CASE("FileWriter splits a batch into samples by its kind of value", "[plugin][file_writer]") {
  Predict run(tensors_as("text"));
  run.batch({{"pred", c10::List<int64_t>({5, 6})}});  // a list: its elements
  run.batch({{"pred", torch::tensor(3)}});             // a 0-d tensor: one sample
  run.batch({{"pred", 2.5}});                          // a number: one sample
  run.batch({{"pred", c10::ivalue::Tuple::create(std::vector<c10::IValue>{std::string("t"), int64_t{1}})}});
  CHECK(file_names(run.out()) == Strings{"0.txt", "1.txt", "2.txt", "3.txt", "4.txt", "5.txt"});
  CHECK(read_text(run.out() / "1.txt") == "6\n");
  CHECK(read_text(run.out() / "2.txt") == "3\n");
  CHECK(read_text(run.out() / "3.txt") == "2.5\n");
  CHECK(read_text(run.out() / "4.txt") == "t");
}

TEST_CASE("FileWriter's configuration errors: unknown writer_fn, a file-like directory", "[plugin][file_writer]") {
  CHECK_THROWS_WITH(file_writer({{"directory", "out"}, {"value_key", "pred"}, {"writer_fn", "jpeg"}}),
                    Contains("writer_fn: lighter.callbacks.FileWriter: unknown writer function 'jpeg'; registered: "
                             "'image_2d', 'image_3d', 'npy', 'tensor', 'text'"));
  for (const std::string directory : {"out.csv", "preds/a.b/", "x.pt"})
    CHECK_THROWS_WITH(file_writer({{"directory", directory}, {"value_key", "pred"}, {"writer_fn", "tensor"}}),
                      Contains("directory: lighter.callbacks.FileWriter: expects a folder path, not a file path"));
  CHECK_THROWS_WITH(file_writer({{"directory", "out"}, {"writer_fn", "tensor"}}), Contains("value_key"));
  CHECK_NOTHROW(file_writer({{"directory", "preds/"}, {"value_key", "pred"}, {"writer_fn", "npy"}, {"name_key", nullptr}}));
}
