// torchvision.datasets.MNIST and FashionMNIST: the idx files held in memory as uint8 and
// converted like ToTensor (float32 [1, 28, 28] in [0, 1]) when batches are gathered.
#include <lighter/sdk.hpp>

#include <filesystem>

#include "idx_file.hpp"
#include "registrations.hpp"

namespace lighter::torchvision {

namespace fs = std::filesystem;

namespace {
constexpr int64_t kNumClasses = 10;

class MnistDataset : public Dataset {
 public:
  MnistDataset(std::string name, torch::Tensor images, torch::Tensor labels, std::shared_ptr<Transform> transform)
      : name_(std::move(name)), images_(std::move(images)), labels_(std::move(labels)), transform_(std::move(transform)) {}

  int64_t size() const override { return images_.size(0); }

  Dict get(int64_t index, torch::Generator& generator) const override {
    batch_indices({index}, size(), name_);
    torch::Tensor input = to_float(images_[index].unsqueeze(0));
    if (transform_) input = transform_->apply(input, generator);
    return {{"input", input}, {"target", labels_[index]}, {"id", index}};
  }

  // One gather and one conversion per batch; transforms then run batch-wise (random ones per
  // sample, in index order, drawing exactly as a sequence of get() calls would).
  Dict get_batch(const std::vector<int64_t>& indices, torch::Generator& generator) const override {
    torch::Tensor ids = batch_indices(indices, size(), name_);
    torch::Tensor inputs = to_float(images_.index_select(0, ids).unsqueeze(1));
    if (transform_ && !indices.empty()) inputs = transform_->apply_batch(inputs, generator);
    return {{"input", inputs}, {"target", labels_.index_select(0, ids)}, {"id", ids}};
  }
  bool random() const override { return transform_ && transform_->random(); }

 private:
  static torch::Tensor to_float(const torch::Tensor& pixels) { return pixels.to(torch::kFloat).div(255); }

  std::string name_;
  torch::Tensor images_;  // uint8 [N, H, W]
  torch::Tensor labels_;  // int64 [N]
  std::shared_ptr<Transform> transform_;
};

// torchvision keeps the files in root/<ClassName>/raw; the idx files may also lie in root itself
// (as Debian's dataset packages install them), gzipped or not.
std::string find_file(const fs::path& root, const std::string& class_name, const std::string& name,
                      const std::string& hint) {
  const fs::path raw = root / class_name / "raw";
  for (const fs::path& dir : {raw, root})
    for (const std::string& file : {name, name + ".gz"})
      if (fs::is_regular_file(dir / file)) return (dir / file).string();
  throw std::runtime_error("found no " + name + " (or " + name + ".gz) in " + root.string() + " or " + raw.string() +
                           hint);
}

std::shared_ptr<Dataset> load(const std::string& class_name, const fs::path& root, bool train,
                              std::shared_ptr<Transform> transform, const std::string& hint) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string images_path = find_file(root, class_name, prefix + "-images-idx3-ubyte", hint);
  const std::string labels_path = find_file(root, class_name, prefix + "-labels-idx1-ubyte", hint);
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
  return std::make_shared<MnistDataset>(class_name, std::move(images), std::move(labels), std::move(transform));
}

void add(Registrar& r, const std::string& class_name, const std::string& doc, const std::string& download_hint) {
  using namespace lighter::param;
  r.add<Dataset>("torchvision.datasets." + class_name, doc,
                 {string("root", std::nullopt, "directory holding the idx files, or " + class_name + "/raw below it"),
                  boolean("train", true, "the training split (else the t10k test split)"),
                  component("transform", Kind::Transform, "applied to each image (Compose for several)", true),
                  boolean("download", false, "not supported: the files must already be in root")},
                 [class_name, download_hint](const Args& a) -> std::shared_ptr<Dataset> {
                   if (a.get<bool>("download"))
                     a.fail("download",
                            "cannot download datasets here (no network access); put the idx files in root or " +
                                std::string("root/") + class_name + "/raw" + download_hint +
                                ", and set download = false");
                   const fs::path root = a.get<std::string>("root");
                   if (!fs::is_directory(root))
                     a.fail("root", "'" + root.string() + "' is not a directory" + download_hint);
                   auto transform = a.component<Transform>("transform");
                   const bool train = a.get<bool>("train");
                   try {
                     return load(class_name, root, train, std::move(transform), download_hint);
                   } catch (const std::runtime_error& e) {
                     a.fail("root", e.what());
                   }
                 });
}
}  // namespace

void register_mnist(Registrar& r) {
  add(r, "MNIST", "the MNIST handwritten digits (idx files, gzipped or not): 28x28 grey images, 10 classes", "");
  add(r, "FashionMNIST", "Zalando's Fashion-MNIST (idx files, gzipped or not): 28x28 grey images, 10 classes",
      " (Debian's dataset-fashion-mnist package installs them in /usr/share/datasets/fashion-mnist)");
}

}  // namespace lighter::torchvision
