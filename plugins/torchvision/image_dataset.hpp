#pragma once
// What the torchvision datasets share: uint8 images held in memory and converted like ToTensor
// (float32 [C, H, W] in [0, 1]) when samples or batches are gathered, the optional transforms,
// and the `download` parameter (nothing is downloaded: the files must be in place).
#include <lighter/sdk.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace lighter::torchvision {

class ImageDataset : public Dataset {
 public:
  // images: uint8 [N, C, H, W]; labels: int64 [N].
  ImageDataset(std::string name, torch::Tensor images, torch::Tensor labels, std::shared_ptr<Transform> transform,
               std::shared_ptr<Transform> target_transform);

  int64_t size() const override { return images_.size(0); }
  Dict get(int64_t index, torch::Generator& generator) const override;
  // One gather and one conversion per batch; transforms then run batch-wise (random ones per
  // sample, in index order, drawing exactly as a sequence of get() calls would).
  Dict get_batch(const std::vector<int64_t>& indices, torch::Generator& generator) const override;
  bool random() const override;

 private:
  std::string name_;
  torch::Tensor images_;
  torch::Tensor labels_;
  std::shared_ptr<Transform> transform_, target_transform_;
};

// The parameters every dataset takes after its own: transform, target_transform, download.
std::vector<Param> common_dataset_params();

// The files a dataset needs, where they go and where they come from; turns `download: true`
// into an error only when the files are missing (lighter does not download).
struct ExpectedFiles {
  std::string folder;              // where they must be
  std::vector<std::string> names;  // all of them
  std::string source;              // where to get them and how to place them
};

// Unless root is a folder and nothing is missing, throws through a.fail (key "download" when it
// is true, else "root") naming the files, the folder and where they come from.
void require_files(const Args& a, const std::filesystem::path& root, const ExpectedFiles& expected,
                   const std::vector<std::string>& missing);

}  // namespace lighter::torchvision
