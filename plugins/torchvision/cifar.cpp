// torchvision.datasets.CIFAR10 and CIFAR100 from the binary version of the data sets (the
// Python version is pickled numpy arrays): fixed-size records of label byte(s) then 3072 pixel
// bytes, 1024 each of R, G and B in row-major 32x32. Samples are float32 [3, 32, 32] in [0, 1],
// as ToTensor makes them of torchvision's PIL images.
#include <lighter/sdk.hpp>

#include <filesystem>

#include "file_bytes.hpp"
#include "image_dataset.hpp"
#include "registrations.hpp"

namespace lighter::torchvision {

namespace fs = std::filesystem;

namespace {
constexpr int64_t kPixelBytes = 3 * 32 * 32;

struct Layout {
  std::string class_name;
  std::string folder;         // below root, as the binary archive extracts
  std::string python_folder;  // what torchvision's (pickled) Python archive extracts
  std::vector<std::string> train_files, test_files;
  int64_t label_bytes;  // the target is the last label byte (CIFAR-100: coarse then fine)
  int64_t num_classes;
  std::string archive;
};

// The records of one file: uint8 [N, label_bytes + 3072], after checking the size.
torch::Tensor read_records(const std::string& path, const Layout& layout) {
  const FileBytes file = read_file_bytes(path);
  const int64_t record = layout.label_bytes + kPixelBytes;
  const auto size = static_cast<int64_t>(file.size);
  if (size == 0 || size % record != 0)
    throw std::runtime_error(path + ": " + std::to_string(size) + " bytes is not a whole number of " +
                             std::to_string(record) + "-byte records (" + std::to_string(layout.label_bytes) +
                             " label byte(s) + 3072 pixel bytes); the file is truncated or not from " +
                             layout.archive);
  return torch::from_blob(
      file.data.get(), {size / record, record}, [keep = file.data](void*) mutable { keep.reset(); }, torch::kUInt8);
}

std::shared_ptr<Dataset> load(const Layout& layout, const std::vector<std::string>& paths,
                              std::shared_ptr<Transform> transform, std::shared_ptr<Transform> target_transform) {
  std::vector<torch::Tensor> parts;
  for (const auto& path : paths) parts.push_back(read_records(path, layout));
  const torch::Tensor records = parts.size() == 1 ? parts[0] : torch::cat(parts);
  torch::Tensor labels = records.select(1, layout.label_bytes - 1).to(torch::kLong);
  for (size_t p = 0, first = 0; p < parts.size(); first += parts[p].size(0), ++p) {
    const torch::Tensor part = labels.slice(0, first, first + parts[p].size(0));
    const int64_t max_label = part.max().item<int64_t>();
    if (max_label >= layout.num_classes)
      throw std::runtime_error(paths[p] + ": label " + std::to_string(max_label) + " of record " +
                               std::to_string(part.argmax().item<int64_t>()) + " is not a class 0-" +
                               std::to_string(layout.num_classes - 1) + " (is this a " + layout.class_name +
                               " file?)");
  }
  torch::Tensor images = records.slice(1, layout.label_bytes).view({-1, 3, 32, 32});
  log::debug(layout.class_name + ": " + std::to_string(images.size(0)) + " samples from " + paths[0]);
  return std::make_shared<ImageDataset>(layout.class_name, std::move(images), std::move(labels), std::move(transform),
                                        std::move(target_transform));
}

void add(Registrar& r, const Layout& layout, const std::string& doc) {
  using namespace lighter::param;
  std::vector<Param> params{string("root", std::nullopt, "directory holding " + layout.folder + "/"),
                            boolean("train", true, "the training split (else the test split)")};
  for (Param& p : common_dataset_params()) params.push_back(std::move(p));
  r.add<Dataset>("torchvision.datasets." + layout.class_name, doc, std::move(params),
                 [layout](const Args& a) -> std::shared_ptr<Dataset> {
                   const fs::path root = a.get<std::string>("root");
                   const fs::path folder = root / layout.folder;
                   std::string source = "the binary version comes from " + layout.archive + ", extracted into root";
                   if (fs::is_directory(root / layout.python_folder))
                     source += " (root holds " + layout.python_folder + "/ of the Python version, whose pickles lighter does not read)";
                   ExpectedFiles expected{folder.string(), a.get<bool>("train") ? layout.train_files : layout.test_files,
                                          source};
                   std::vector<std::string> paths, missing;
                   for (const auto& name : expected.names) {
                     if (fs::is_regular_file(folder / name)) paths.push_back((folder / name).string());
                     else missing.push_back(name);
                   }
                   require_files(a, root, expected, missing);
                   auto transform = a.component<Transform>("transform");
                   auto target_transform = a.component<Transform>("target_transform");
                   try {
                     return load(layout, paths, std::move(transform), std::move(target_transform));
                   } catch (const std::runtime_error& e) {
                     a.fail("root", e.what());
                   }
                 });
}
}  // namespace

void register_cifar(Registrar& r) {
  add(r,
      {"CIFAR10", "cifar-10-batches-bin", "cifar-10-batches-py",
       {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"},
       {"test_batch.bin"}, 1, 10, "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"},
      "CIFAR-10 (binary version): 32x32 colour images, 10 classes");
  add(r,
      {"CIFAR100", "cifar-100-binary", "cifar-100-python", {"train.bin"}, {"test.bin"}, 2, 100,
       "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"},
      "CIFAR-100 (binary version): 32x32 colour images, 100 fine classes (the target; the coarse label is skipped)");
}

}  // namespace lighter::torchvision
