// torchvision.datasets.MNIST and FashionMNIST: the idx files held in memory as uint8 and
// converted like ToTensor (float32 [1, 28, 28] in [0, 1]) when batches are gathered.
#include <lighter/sdk.hpp>

#include <filesystem>
#include <optional>

#include "idx_file.hpp"
#include "image_dataset.hpp"
#include "registrations.hpp"

namespace lighter::torchvision {

namespace fs = std::filesystem;

namespace {
constexpr int64_t kNumClasses = 10;

// torchvision keeps the files in root/<ClassName>/raw; the idx files may also lie in root itself
// (as Debian's dataset packages install them), gzipped or not.
std::optional<std::string> find_file(const fs::path& root, const std::string& class_name, const std::string& name) {
  for (const fs::path& dir : {root / class_name / "raw", root})
    for (const std::string& file : {name, name + ".gz"})
      if (fs::is_regular_file(dir / file)) return (dir / file).string();
  return std::nullopt;
}

std::shared_ptr<Dataset> load(const std::string& class_name, const std::string& images_path,
                              const std::string& labels_path, std::shared_ptr<Transform> transform,
                              std::shared_ptr<Transform> target_transform) {
  torch::Tensor images = read_idx_images(images_path);
  torch::Tensor labels = read_idx_labels(labels_path).to(torch::kLong);
  if (images.size(0) != labels.size(0))
    throw std::runtime_error(images_path + " holds " + std::to_string(images.size(0)) + " images but " + labels_path +
                             " holds " + std::to_string(labels.size(0)) + " labels");
  const int64_t max_label = labels.max().item<int64_t>();
  if (max_label >= kNumClasses)
    throw std::runtime_error(labels_path + ": label " + std::to_string(max_label) + " at index " +
                             std::to_string(labels.argmax().item<int64_t>()) + " is not a class 0-9");
  log::debug(class_name + ": " + std::to_string(images.size(0)) + " samples from " + images_path);
  return std::make_shared<ImageDataset>(class_name, images.unsqueeze(1), std::move(labels), std::move(transform),
                                        std::move(target_transform));
}

void add(Registrar& r, const std::string& class_name, const std::string& doc, const std::string& source) {
  using namespace lighter::param;
  std::vector<Param> params{
      string("root", std::nullopt, "directory holding the idx files, or " + class_name + "/raw below it"),
      boolean("train", true, "the training split (else the t10k test split)")};
  for (Param& p : common_dataset_params()) params.push_back(std::move(p));
  r.add<Dataset>("torchvision.datasets." + class_name, doc, std::move(params),
                 [class_name, source](const Args& a) -> std::shared_ptr<Dataset> {
                   const fs::path root = a.get<std::string>("root");
                   const std::string prefix = a.get<bool>("train") ? "train" : "t10k";
                   ExpectedFiles expected{root.string() + " or " + (root / class_name / "raw").string(), {}, source};
                   std::vector<std::string> paths, missing;
                   for (const std::string name : {prefix + "-images-idx3-ubyte", prefix + "-labels-idx1-ubyte"}) {
                     expected.names.push_back(name + " (or " + name + ".gz)");
                     const auto path = find_file(root, class_name, name);
                     if (path) paths.push_back(*path);
                     else missing.push_back(expected.names.back());
                   }
                   require_files(a, root, expected, missing);
                   auto transform = a.component<Transform>("transform");
                   auto target_transform = a.component<Transform>("target_transform");
                   try {
                     return load(class_name, paths[0], paths[1], std::move(transform), std::move(target_transform));
                   } catch (const std::runtime_error& e) {
                     a.fail("root", e.what());
                   }
                 });
}
}  // namespace

void register_mnist(Registrar& r) {
  add(r, "MNIST", "the MNIST handwritten digits (idx files, gzipped or not): 28x28 grey images, 10 classes",
      "the files come from http://yann.lecun.com/exdb/mnist/ (or torchvision's mirror "
      "https://ossci-datasets.s3.amazonaws.com/mnist/)");
  add(r, "FashionMNIST", "Zalando's Fashion-MNIST (idx files, gzipped or not): 28x28 grey images, 10 classes",
      "Debian's dataset-fashion-mnist package installs them in /usr/share/datasets/fashion-mnist (or take them from "
      "https://github.com/zalandoresearch/fashion-mnist)");
}

}  // namespace lighter::torchvision
