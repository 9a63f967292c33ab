#include "image_dataset.hpp"

namespace lighter::torchvision {

namespace {
torch::Tensor to_float(const torch::Tensor& pixels) { return pixels.to(torch::kFloat).div(255); }

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : ", ") + names[i];
  return out;
}
}  // namespace

ImageDataset::ImageDataset(std::string name, torch::Tensor images, torch::Tensor labels,
                           std::shared_ptr<Transform> transform, std::shared_ptr<Transform> target_transform)
    : name_(std::move(name)),
      images_(std::move(images)),
      labels_(std::move(labels)),
      transform_(std::move(transform)),
      target_transform_(std::move(target_transform)) {}

Dict ImageDataset::get(int64_t index, torch::Generator& generator) const {
  batch_indices({index}, size(), name_);
  torch::Tensor input = to_float(images_[index]);
  if (transform_) input = transform_->apply(input, generator);
  torch::Tensor target = labels_[index];
  if (target_transform_) target = target_transform_->apply(target, generator);
  return {{"input", input}, {"target", target}, {"id", index}};
}

Dict ImageDataset::get_batch(const std::vector<int64_t>& indices, torch::Generator& generator) const {
  torch::Tensor ids = batch_indices(indices, size(), name_);
  if (target_transform_ && !indices.empty()) {  // torchvision's order: each image's transform, then its target's
    std::vector<Dict> samples;
    for (int64_t i : indices) samples.push_back(get(i, generator));
    return collate(samples);
  }
  torch::Tensor inputs = to_float(images_.index_select(0, ids));
  if (transform_ && !indices.empty()) inputs = transform_->apply_batch(inputs, generator);
  return {{"input", inputs}, {"target", labels_.index_select(0, ids)}, {"id", ids}};
}

bool ImageDataset::random() const {
  return (transform_ && transform_->random()) || (target_transform_ && target_transform_->random());
}

std::vector<Param> common_dataset_params() {
  using namespace lighter::param;
  return {component("transform", Kind::Transform, "applied to each image (Compose for several)", true),
          component("target_transform", Kind::Transform, "applied to each target (an int64 class index)", true),
          boolean("download", false,
                  "accepted when the files are already in place; lighter never downloads (no network access)")};
}

void require_files(const Args& a, const std::filesystem::path& root, const ExpectedFiles& expected,
                   const std::vector<std::string>& missing) {
  const bool no_root = !std::filesystem::is_directory(root);
  if (missing.empty() && !no_root) return;
  const std::string what =
      (no_root ? "'" + root.string() + "' is not a directory; expected " + joined(expected.names) + " in "
               : "found no " + joined(missing) + " in ") +
      expected.folder + "; " + expected.source;
  if (a.get<bool>("download")) a.fail("download", "lighter does not download datasets (no network access): " + what);
  a.fail("root", what);
}

}  // namespace lighter::torchvision
