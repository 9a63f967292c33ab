// torchvision.transforms.ColorJitter on float images [..., 1 or 3, H, W] in [0, 1]: brightness,
// contrast, saturation and hue factors drawn per sample, applied in a random order, with
// torchvision's tensor formulas (_functional_tensor.py) and draw order (randperm(4), then one
// uniform draw per enabled factor).
#include <lighter/sdk.hpp>

#include <array>
#include <optional>

#include "registrations.hpp"
#include "transform_args.hpp"

namespace lighter::torchvision {

namespace {
using Range = std::optional<std::pair<double, double>>;  // nullopt: the factor is not jittered

torch::Tensor blend(const torch::Tensor& image, const torch::Tensor& other, double ratio) {
  return (ratio * image + (1.0 - ratio) * other).clamp(0, 1);
}

torch::Tensor grayscale(const torch::Tensor& rgb) {
  return (0.2989 * rgb.select(-3, 0) + 0.587 * rgb.select(-3, 1) + 0.114 * rgb.select(-3, 2)).unsqueeze(-3);
}

torch::Tensor adjust_contrast(const torch::Tensor& image, double factor) {
  const torch::Tensor gray = image.size(-3) == 3 ? grayscale(image) : image;
  return blend(image, gray.mean({-3, -2, -1}, true), factor);
}

torch::Tensor rgb_to_hsv(const torch::Tensor& image) {
  const torch::Tensor r = image.select(-3, 0), g = image.select(-3, 1), b = image.select(-3, 2);
  const torch::Tensor maxc = std::get<0>(image.max(-3)), minc = std::get<0>(image.min(-3));
  const torch::Tensor eqc = maxc == minc, cr = maxc - minc, ones = torch::ones_like(maxc);
  const torch::Tensor s = cr / torch::where(eqc, ones, maxc);
  const torch::Tensor divisor = torch::where(eqc, ones, cr);
  const torch::Tensor rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor;
  const torch::Tensor hr = (maxc == r) * (bc - gc);
  const torch::Tensor hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc);
  const torch::Tensor hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc);
  const torch::Tensor h = torch::fmod((hr + hg + hb) / 6.0 + 1.0, 1.0);
  return torch::stack({h, s, maxc}, -3);
}

torch::Tensor hsv_to_rgb(const torch::Tensor& image) {
  const torch::Tensor h = image.select(-3, 0), s = image.select(-3, 1), v = image.select(-3, 2);
  const torch::Tensor i_float = torch::floor(h * 6.0), f = h * 6.0 - i_float;
  const torch::Tensor i = i_float.to(torch::kInt).remainder(6);
  const torch::Tensor p = (v * (1.0 - s)).clamp(0, 1), q = (v * (1.0 - s * f)).clamp(0, 1),
                      t = (v * (1.0 - s * (1.0 - f))).clamp(0, 1);
  const torch::Tensor mask = (i.unsqueeze(-3) == torch::arange(6).view({-1, 1, 1})).to(image.scalar_type());
  const torch::Tensor a = torch::stack({torch::stack({v, q, p, p, t, v}, -3), torch::stack({t, v, v, q, p, p}, -3),
                                        torch::stack({p, p, t, v, v, q}, -3)},
                                       -4);
  return torch::einsum("...ijk, ...xijk -> ...xjk", {mask, a});
}

torch::Tensor adjust_hue(const torch::Tensor& image, double factor) {
  if (image.size(-3) == 1) return image;
  torch::Tensor hsv = rgb_to_hsv(image);
  hsv = torch::stack({torch::remainder(hsv.select(-3, 0) + factor, 1.0), hsv.select(-3, 1), hsv.select(-3, 2)}, -3);
  return hsv_to_rgb(hsv);
}

class ColorJitter : public Transform {
 public:
  explicit ColorJitter(std::array<Range, 4> ranges) : ranges_(ranges) {}

  torch::Tensor apply(const torch::Tensor& sample, torch::Generator& generator) const override {
    if (!sample.is_floating_point())
      throw std::invalid_argument(std::string("ColorJitter: expected a float image, got ") +
                                  c10::toString(sample.scalar_type()) + " (the datasets already yield floats in [0, 1])");
    if (sample.dim() < 3 || (sample.size(-3) != 1 && sample.size(-3) != 3))
      throw std::invalid_argument("ColorJitter: expected an image [..., C, H, W] with 1 or 3 channels, got shape " +
                                  c10::str(sample.sizes()));
    const torch::Tensor order = torch::randperm(4, generator, torch::kLong);
    std::array<double, 4> factors{};
    for (size_t k = 0; k < 4; ++k)
      if (ranges_[k])
        factors[k] = torch::empty({1}).uniform_(ranges_[k]->first, ranges_[k]->second, generator).item<double>();
    torch::Tensor image = sample;
    for (int64_t i = 0; i < 4; ++i) {
      const auto k = static_cast<size_t>(order[i].item<int64_t>());
      if (!ranges_[k]) continue;
      if (k == 0) image = blend(image, torch::zeros_like(image), factors[k]);
      if (k == 1) image = adjust_contrast(image, factors[k]);
      if (k == 2 && image.size(-3) == 3) image = blend(image, grayscale(image), factors[k]);
      if (k == 3) image = adjust_hue(image, factors[k]);
    }
    return image;
  }

 private:
  std::array<Range, 4> ranges_;  // brightness, contrast, saturation, hue
};

// torchvision's ColorJitter._check_input: a number x means [center - x, center + x] (the lower
// end clipped at 0 for the factors around 1); a range equal to [center, center] disables it.
Range range_param(const Args& a, const std::string& key, double center, double low, double high) {
  const Value v = a.get<Value>(key);
  std::pair<double, double> range;
  if (v.is_number()) {
    const double x = v.as_number();
    if (x < 0) a.fail(key, "expected a number >= 0 or a list [min, max], got " + v.repr());
    range = {center - x, center + x};
    if (center == 1) range.first = std::max(range.first, 0.0);
  } else {
    range = range_of(a, key);
  }
  if (!(low <= range.first && range.second <= high))
    a.fail(key, "expected values from " + python_float(low) + " to " + python_float(high) + ", got " + v.repr());
  if (range.first == center && range.second == center) return std::nullopt;
  return range;
}
}  // namespace

void register_color_jitter(Registrar& r) {
  r.add<Transform>(
      "torchvision.transforms.ColorJitter",
      "random brightness, contrast, saturation and hue changes, in a random order (float images in [0, 1])",
      {number_or_list("brightness", Value(0), "x: factor from [max(0, 1 - x), 1 + x], or [min, max]"),
       number_or_list("contrast", Value(0), "x: factor from [max(0, 1 - x), 1 + x], or [min, max]"),
       number_or_list("saturation", Value(0), "x: factor from [max(0, 1 - x), 1 + x], or [min, max]"),
       number_or_list("hue", Value(0), "x: shift from [-x, x], or [min, max], within [-0.5, 0.5]")},
      [](const Args& a) {
        constexpr double kInf = std::numeric_limits<double>::infinity();
        return std::make_shared<ColorJitter>(std::array<Range, 4>{
            range_param(a, "brightness", 1, 0, kInf), range_param(a, "contrast", 1, 0, kInf),
            range_param(a, "saturation", 1, 0, kInf), range_param(a, "hue", 0, -0.5, 0.5)});
      });
}

}  // namespace lighter::torchvision
