// torchvision.transforms Resize, CenterCrop, RandomResizedCrop and Pad, on tensors [..., H, W]
// as torchvision's tensor functions treat them (uint8 is resized in float, then rounded back).
#include <lighter/sdk.hpp>

#include <array>
#include <cmath>

#include "padding.hpp"
#include "registrations.hpp"
#include "transform_args.hpp"

namespace lighter::torchvision {

namespace {
std::string shape_text(int64_t height, int64_t width) {
  return "[" + std::to_string(height) + ", " + std::to_string(width) + "]";
}

void require_image(const torch::Tensor& image, const char* transform) {
  if (image.dim() < 2) throw std::invalid_argument(std::string(transform) + ": expected an image tensor [..., H, W]");
}

// torchvision.transforms.functional.resize for tensors: antialiasing applies to bilinear and
// bicubic only; align_corners is false.
torch::Tensor resize(const torch::Tensor& image, int64_t height, int64_t width, Interpolation mode, bool antialias) {
  if (image.size(-2) == height && image.size(-1) == width) return image;
  namespace F = torch::nn::functional;
  const bool integral = !image.is_floating_point();
  torch::Tensor x = image.reshape({1, -1, image.size(-2), image.size(-1)});
  if (integral) x = x.to(torch::kFloat);
  auto options = F::InterpolateFuncOptions().size(std::vector<int64_t>{height, width});
  if (mode == Interpolation::Nearest) options.mode(torch::kNearest);
  if (mode == Interpolation::NearestExact) options.mode(torch::kNearestExact);
  if (mode == Interpolation::Bilinear || mode == Interpolation::Bicubic) {
    if (mode == Interpolation::Bilinear) options.mode(torch::kBilinear);
    else options.mode(torch::kBicubic);
    options.align_corners(false).antialias(antialias);
  }
  x = F::interpolate(x, options);
  if (integral) {
    if (mode == Interpolation::Bicubic) x = x.clamp(0, 255);
    x = x.round().to(image.scalar_type());
  }
  std::vector<int64_t> shape = image.sizes().vec();
  shape[shape.size() - 2] = height;
  shape.back() = width;
  return x.reshape(shape);
}

// How Resize's `size` and `max_size` give the output size.
class ResizeTarget {
 public:
  ResizeTarget(Size size, bool smaller_edge, std::optional<int64_t> max_size)
      : size_(size), smaller_edge_(smaller_edge), max_size_(max_size) {}

  // torchvision's _compute_resized_output_size: one int is the smaller edge, keeping the aspect.
  Size of(int64_t height, int64_t width) const {
    if (!smaller_edge_) return size_;
    const int64_t short_edge = std::min(height, width), long_edge = std::max(height, width);
    int64_t new_short = size_.height, new_long = new_short * long_edge / short_edge;
    if (max_size_ && new_long > *max_size_) {
      new_short = *max_size_ * new_short / new_long;
      new_long = *max_size_;
    }
    return width <= height ? Size{new_long, new_short} : Size{new_short, new_long};
  }

 private:
  Size size_;
  bool smaller_edge_;
  std::optional<int64_t> max_size_;
};

class Resize : public DeterministicTransform {
 public:
  Resize(ResizeTarget target, Interpolation mode, bool antialias) : target_(target), mode_(mode), antialias_(antialias) {}
  torch::Tensor apply(const torch::Tensor& sample, torch::Generator&) const override {
    require_image(sample, "Resize");
    const Size out = target_.of(sample.size(-2), sample.size(-1));
    if (out.height < 1 || out.width < 1)
      throw std::invalid_argument("Resize: an image " + shape_text(sample.size(-2), sample.size(-1)) +
                                  " would shrink to " + shape_text(out.height, out.width));
    return resize(sample, out.height, out.width, mode_, antialias_);
  }

 private:
  ResizeTarget target_;
  Interpolation mode_;
  bool antialias_;
};

// torchvision.transforms.functional.center_crop: pads with zeros when the crop is larger, and
// rounds the offsets as Python's round() does (half to even).
class CenterCrop : public DeterministicTransform {
 public:
  explicit CenterCrop(Size size) : size_(size) {}
  torch::Tensor apply(const torch::Tensor& sample, torch::Generator&) const override {
    require_image(sample, "CenterCrop");
    torch::Tensor image = sample;
    int64_t height = image.size(-2), width = image.size(-1);
    if (size_.height > height || size_.width > width) {
      const int64_t dh = std::max<int64_t>(size_.height - height, 0), dw = std::max<int64_t>(size_.width - width, 0);
      image = pad(image, {dw / 2, dh / 2, (dw + 1) / 2, (dh + 1) / 2}, PaddingMode::Constant, 0);
      height = image.size(-2);
      width = image.size(-1);
    }
    const auto top = static_cast<int64_t>(std::nearbyint((height - size_.height) / 2.0));
    const auto left = static_cast<int64_t>(std::nearbyint((width - size_.width) / 2.0));
    return image.slice(-2, top, top + size_.height).slice(-1, left, left + size_.width);
  }

 private:
  Size size_;
};

struct ResizedCropOptions {
  Size size;
  std::pair<double, double> scale, ratio;
  Interpolation mode = Interpolation::Bilinear;
  bool antialias = true;
};

// torchvision's RandomResizedCrop.get_params: up to 10 draws of an area and a log-uniform aspect
// ratio whose window fits, else a centred crop of the ratio clamped into range.
class RandomResizedCrop : public Transform {
 public:
  explicit RandomResizedCrop(ResizedCropOptions options) : o_(options) {
    log_ratio_ = torch::log(torch::tensor({o_.ratio.first, o_.ratio.second}, torch::kFloat));
  }
  torch::Tensor apply(const torch::Tensor& sample, torch::Generator& generator) const override {
    require_image(sample, "RandomResizedCrop");
    const int64_t height = sample.size(-2), width = sample.size(-1);
    const auto [top, left, h, w] = window(height, width, generator);
    return resize(sample.slice(-2, top, top + h).slice(-1, left, left + w), o_.size.height, o_.size.width, o_.mode,
                  o_.antialias);
  }

 private:
  std::array<int64_t, 4> window(int64_t height, int64_t width, torch::Generator& generator) const {
    const double area = static_cast<double>(height * width);
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target_area =
          area * torch::empty({1}).uniform_(o_.scale.first, o_.scale.second, generator).item<double>();
      const double log_low = log_ratio_[0].item<double>(), log_high = log_ratio_[1].item<double>();
      const double aspect = torch::exp(torch::empty({1}).uniform_(log_low, log_high, generator)).item<double>();
      const auto w = static_cast<int64_t>(std::nearbyint(std::sqrt(target_area * aspect)));
      const auto h = static_cast<int64_t>(std::nearbyint(std::sqrt(target_area / aspect)));
      if (0 < w && w <= width && 0 < h && h <= height) {
        const int64_t top = torch::randint(0, height - h + 1, {1}, generator).item<int64_t>();
        const int64_t left = torch::randint(0, width - w + 1, {1}, generator).item<int64_t>();
        return {top, left, h, w};
      }
    }
    const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
    int64_t w = width, h = height;
    if (in_ratio < o_.ratio.first)
      h = static_cast<int64_t>(std::nearbyint(w / o_.ratio.first));
    else if (in_ratio > o_.ratio.second)
      w = static_cast<int64_t>(std::nearbyint(h * o_.ratio.second));
    return {(height - h) / 2, (width - w) / 2, h, w};
  }

  ResizedCropOptions o_;
  torch::Tensor log_ratio_;  // float32, as torchvision computes it
};

class Pad : public DeterministicTransform {
 public:
  Pad(Padding padding, double fill, PaddingMode mode) : padding_(padding), fill_(fill), mode_(mode) {}
  torch::Tensor apply(const torch::Tensor& sample, torch::Generator&) const override {
    require_image(sample, "Pad");
    try {
      return pad(sample, padding_, mode_, fill_);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("Pad: ") + e.what());
    }
  }

 private:
  Padding padding_;
  double fill_;
  PaddingMode mode_;
};

const std::vector<std::string> kResizeModes{"nearest", "nearest-exact", "bilinear", "bicubic"};

Param antialias_param() {
  return param::boolean("antialias", true, "antialias when downscaling (bilinear and bicubic only)");
}

std::pair<double, double> range_above(const Args& a, const std::string& key, double low, bool allow_low) {
  const auto range = range_of(a, key);
  if (range.first < low || (!allow_low && range.first == low))
    a.fail(key, std::string("expected values ") + (allow_low ? ">= " : "> ") + python_float(low) + ", got " +
                    a.get<Value>(key).repr());
  return range;
}
}  // namespace

void register_resize_crop(Registrar& r) {
  using namespace lighter::param;
  r.add<Transform>(
      "torchvision.transforms.Resize", "resizes to [h, w], or the smaller edge to one int (keeping the aspect ratio)",
      {int_or_list("size", std::nullopt, "[h, w], or an int: the smaller edge's new length"),
       interpolation_param(kResizeModes, "bilinear"), optional_int("max_size", "bound on the longer edge (size an int)"),
       antialias_param()},
      [](const Args& a) {
        const bool smaller_edge = a.get<Value>("size").is_int() || a.get<Value>("size").as_array().size() == 1;
        std::optional<int64_t> max_size;
        const Size size = size_of(a);
        if (a.has("max_size")) {
          if (!smaller_edge) a.fail("max_size", "only applies when size is one int (the smaller edge)");
          max_size = a.get<int64_t>("max_size");
          if (*max_size <= size.height)
            a.fail("max_size", "expected more than size (" + std::to_string(size.height) + "), got " +
                                   std::to_string(*max_size));
        }
        return std::make_shared<Resize>(ResizeTarget(size, smaller_edge, max_size), interpolation_of(a),
                                        a.get<bool>("antialias"));
      });
  r.add<Transform>("torchvision.transforms.CenterCrop", "crops the centre [h, w], padding with zeros if the image is smaller",
                   {int_or_list("size", std::nullopt, "output size: an int for a square, or [h, w]")},
                   [](const Args& a) { return std::make_shared<CenterCrop>(size_of(a)); });
  r.add<Transform>(
      "torchvision.transforms.RandomResizedCrop",
      "crops a random window of random area and aspect ratio, resized to size",
      {int_or_list("size", std::nullopt, "output size: an int for a square, or [h, w]"),
       list("scale", Type::Float, Value(Value::Array{0.08, 1.0}), "[min, max] fraction of the image area"),
       list("ratio", Type::Float, Value(Value::Array{3.0 / 4.0, 4.0 / 3.0}), "[min, max] aspect ratio (w / h)"),
       interpolation_param(kResizeModes, "bilinear"), antialias_param()},
      [](const Args& a) {
        ResizedCropOptions o;
        o.size = size_of(a);
        o.scale = range_above(a, "scale", 0, true);
        o.ratio = range_above(a, "ratio", 0, false);
        o.mode = interpolation_of(a);
        o.antialias = a.get<bool>("antialias");
        return std::make_shared<RandomResizedCrop>(o);
      });
  r.add<Transform>("torchvision.transforms.Pad", "pads each side of the image",
                   {int_or_list("padding", std::nullopt,
                                "padding of each side: int, [left/right, top/bottom] or [left, top, right, bottom]"),
                    real("fill", 0.0, "value of constant padding"), padding_mode_param()},
                   [](const Args& a) {
                     return std::make_shared<Pad>(padding_of(a), a.get<double>("fill"), padding_mode_of(a));
                   });
}

}  // namespace lighter::torchvision
