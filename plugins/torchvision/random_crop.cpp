// torchvision.transforms.RandomCrop: optional padding, then a crop at a position drawn from the
// sample's generator (top first, then left, as torchvision draws them).
#include <lighter/sdk.hpp>

#include "padding.hpp"
#include "registrations.hpp"
#include "transform_args.hpp"

namespace lighter::torchvision {

namespace {
struct CropOptions {
  int64_t height = 0, width = 0;
  Padding padding;
  bool pad_if_needed = false;
  double fill = 0;
  PaddingMode mode = PaddingMode::Constant;
};

class RandomCrop : public Transform {
 public:
  explicit RandomCrop(CropOptions options) : o_(options) {}

  torch::Tensor apply(const torch::Tensor& sample, torch::Generator& generator) const override {
    torch::Tensor image = padded(sample, o_.padding);
    if (o_.pad_if_needed && image.size(-1) < o_.width) {
      const int64_t missing = o_.width - image.size(-1);
      image = padded(image, {missing, 0, missing, 0});
    }
    if (o_.pad_if_needed && image.size(-2) < o_.height) {
      const int64_t missing = o_.height - image.size(-2);
      image = padded(image, {0, missing, 0, missing});
    }
    const int64_t height = image.size(-2), width = image.size(-1);
    if (height < o_.height || width < o_.width)
      throw std::invalid_argument("RandomCrop: crop size [" + std::to_string(o_.height) + ", " +
                                  std::to_string(o_.width) + "] is larger than the padded image [" +
                                  std::to_string(height) + ", " + std::to_string(width) +
                                  "]; add padding or set pad_if_needed = true");
    if (height == o_.height && width == o_.width) return image;
    const int64_t top = torch::randint(0, height - o_.height + 1, {1}, generator).item<int64_t>();
    const int64_t left = torch::randint(0, width - o_.width + 1, {1}, generator).item<int64_t>();
    return image.slice(-2, top, top + o_.height).slice(-1, left, left + o_.width);
  }

 private:
  torch::Tensor padded(const torch::Tensor& image, const Padding& padding) const {
    if (image.dim() < 2) throw std::invalid_argument("RandomCrop: expected an image tensor [..., H, W]");
    try {
      return pad(image, padding, o_.mode, o_.fill);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("RandomCrop: ") + e.what());
    }
  }

  CropOptions o_;
};

}  // namespace

void register_random_crop(Registrar& r) {
  using namespace lighter::param;
  r.add<Transform>("torchvision.transforms.RandomCrop", "crops a random [h, w] window, after optional padding",
                   {int_or_list("size", std::nullopt, "output size: an int for a square, or [h, w]"),
                    int_or_list("padding", Value(),
                                "padding of each side: int, [left/right, top/bottom] or [left, top, right, bottom]"),
                    boolean("pad_if_needed", false, "pad images smaller than size instead of failing"),
                    real("fill", 0.0, "value of constant padding"),
                    padding_mode_param()},
                   [](const Args& a) {
                     CropOptions o;
                     const Size size = size_of(a);
                     o.height = size.height;
                     o.width = size.width;
                     o.padding = padding_of(a);
                     o.pad_if_needed = a.get<bool>("pad_if_needed");
                     o.fill = a.get<double>("fill");
                     o.mode = padding_mode_of(a);
                     return std::make_shared<RandomCrop>(o);
                   });
}

}  // namespace lighter::torchvision
