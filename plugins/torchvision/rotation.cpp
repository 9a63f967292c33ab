// torchvision.transforms.RandomRotation on tensors: an angle drawn uniformly from `degrees`
// (counter-clockwise), applied as torchvision's F.rotate does: the inverse affine matrix about
// the centre, an affine grid over the output, grid_sample (nearest or bilinear, zeros outside)
// and `fill` where the sample falls outside the image.
#include <lighter/sdk.hpp>

#include <cmath>

#include "registrations.hpp"
#include "transform_args.hpp"

namespace lighter::torchvision {

namespace {
struct RotationOptions {
  std::pair<double, double> degrees;
  Interpolation mode = Interpolation::Nearest;
  bool expand = false;
  std::optional<std::pair<double, double>> center;  // (x, y) in pixels from the top-left corner
  std::vector<double> fill;                         // one value, or one per channel
};

// _get_inverse_affine_matrix for a pure rotation by `angle` degrees about centre (cx, cy),
// given relative to the image centre.
std::array<double, 6> inverse_rotation(double angle, double cx, double cy) {
  const double rot = -angle * M_PI / 180.0;
  std::array<double, 6> m{std::cos(rot), std::sin(rot), 0.0, -std::sin(rot), std::cos(rot), 0.0};
  m[2] += m[0] * -cx + m[1] * -cy + cx;
  m[5] += m[3] * -cx + m[4] * -cy + cy;
  return m;
}

// _compute_affine_output_size: the bounding box of the rotated corners (to 1e-4).
std::pair<int64_t, int64_t> expanded_size(const std::array<double, 6>& matrix, int64_t w, int64_t h) {
  const double hw = 0.5 * static_cast<double>(w), hh = 0.5 * static_cast<double>(h);
  const torch::Tensor corners = torch::tensor({-hw, -hh, 1.0, -hw, hh, 1.0, hw, hh, 1.0, hw, -hh, 1.0}).view({4, 3});
  const torch::Tensor theta = torch::tensor(std::vector<double>(matrix.begin(), matrix.end()), torch::kFloat).view({2, 3});
  const torch::Tensor points = torch::matmul(corners.to(torch::kFloat), theta.t());
  constexpr double tol = 1e-4;
  const torch::Tensor high = torch::ceil(torch::trunc(std::get<0>(points.max(0)) / tol) * tol);
  const torch::Tensor low = torch::floor(torch::trunc(std::get<0>(points.min(0)) / tol) * tol);
  const torch::Tensor size = high - low;
  return {static_cast<int64_t>(size[0].item<float>()), static_cast<int64_t>(size[1].item<float>())};
}

class RandomRotation : public Transform {
 public:
  explicit RandomRotation(RotationOptions options) : o_(std::move(options)) {}

  torch::Tensor apply(const torch::Tensor& sample, torch::Generator& generator) const override {
    if (sample.dim() < 3) throw std::invalid_argument("RandomRotation: expected an image tensor [..., C, H, W]");
    const int64_t channels = sample.size(-3);
    if (o_.fill.size() != 1 && static_cast<int64_t>(o_.fill.size()) != channels)
      throw std::invalid_argument("RandomRotation: the image has " + std::to_string(channels) +
                                  " channels but fill has " + std::to_string(o_.fill.size()) + " values");
    const double angle =
        torch::empty({1}).uniform_(o_.degrees.first, o_.degrees.second, generator).item<double>();
    return rotate(sample, angle);
  }

 private:
  torch::Tensor rotate(const torch::Tensor& image, double angle) const {
    const int64_t h = image.size(-2), w = image.size(-1), channels = image.size(-3);
    double cx = 0, cy = 0;
    if (o_.center) {
      cx = o_.center->first - 0.5 * static_cast<double>(w);
      cy = o_.center->second - 0.5 * static_cast<double>(h);
    }
    const auto matrix = inverse_rotation(angle, cx, cy);
    const auto [ow, oh] = o_.expand ? expanded_size(matrix, w, h) : std::pair<int64_t, int64_t>{w, h};

    const bool integral = !image.is_floating_point();
    const auto dtype = integral ? torch::kFloat : image.scalar_type();
    const torch::Tensor theta = torch::tensor(std::vector<double>(matrix.begin(), matrix.end()), dtype).view({1, 2, 3});
    // _gen_affine_grid: pixel centres of the output, mapped through theta into [-1, 1] input coordinates.
    torch::Tensor base = torch::empty({1, oh, ow, 3}, dtype);
    base.select(-1, 0).copy_(torch::linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow, dtype));
    base.select(-1, 1).copy_(torch::linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh, dtype).unsqueeze(-1));
    base.select(-1, 2).fill_(1);
    const torch::Tensor scale = torch::tensor({0.5 * static_cast<double>(w), 0.5 * static_cast<double>(h)}, dtype);
    torch::Tensor grid = base.view({1, oh * ow, 3}).bmm(theta.transpose(1, 2) / scale).view({1, oh, ow, 2});

    // _apply_grid_transform, with a channel of ones that tells where the input was sampled.
    torch::Tensor x = image.reshape({-1, channels, h, w}).to(dtype);
    const int64_t n = x.size(0);
    grid = grid.expand({n, oh, ow, 2});
    x = torch::cat({x, torch::ones({n, 1, h, w}, dtype)}, 1);
    namespace F = torch::nn::functional;
    auto options = F::GridSampleFuncOptions().padding_mode(torch::kZeros).align_corners(false);
    if (o_.mode == Interpolation::Nearest) options.mode(torch::kNearest);
    else options.mode(torch::kBilinear);
    x = F::grid_sample(x, grid, options);
    torch::Tensor mask = x.slice(1, channels).expand({n, channels, oh, ow});
    x = x.slice(1, 0, channels);
    const torch::Tensor fill = torch::tensor(o_.fill, dtype).view({1, -1, 1, 1}).expand_as(x);
    if (o_.mode == Interpolation::Nearest) x = torch::where(mask < 0.5, fill, x);
    else x = x * mask + (1.0 - mask) * fill;
    if (integral) x = x.round().to(image.scalar_type());
    std::vector<int64_t> shape = image.sizes().vec();
    shape[shape.size() - 2] = oh;
    shape.back() = ow;
    return x.reshape(shape);
  }

  RotationOptions o_;
};

// A number d means [-d, d].
std::pair<double, double> degrees_of(const Args& a) {
  const Value v = a.get<Value>("degrees");
  if (!v.is_number()) return range_of(a, "degrees");
  if (v.as_number() < 0) a.fail("degrees", "expected a number >= 0 or a list [min, max], got " + v.repr());
  return {-v.as_number(), v.as_number()};
}
}  // namespace

void register_rotation(Registrar& r) {
  using namespace lighter::param;
  Param center = list("center", Type::Float, Value(), "[x, y] in pixels from the top-left corner (null: the centre)");
  center.type = center.type | Type::Null;
  r.add<Transform>(
      "torchvision.transforms.RandomRotation", "rotates counter-clockwise by an angle drawn from degrees",
      {number_or_list("degrees", std::nullopt, "d: angles from [-d, d], or [min, max], in degrees"),
       interpolation_param({"nearest", "bilinear"}, "nearest"),
       boolean("expand", false, "enlarge the output to hold the whole rotated image"), center,
       number_or_list("fill", Value(0), "value outside the rotated image: one, or one per channel")},
      [](const Args& a) {
        RotationOptions o;
        o.degrees = degrees_of(a);
        o.mode = interpolation_of(a);
        o.expand = a.get<bool>("expand");
        if (a.has("center")) {
          const auto c = a.get<std::vector<double>>("center");
          if (c.size() != 2) a.fail("center", "expected [x, y], got " + a.get<Value>("center").repr());
          o.center = std::make_pair(c[0], c[1]);
        }
        const Value fill = a.get<Value>("fill");
        o.fill = fill.is_number() ? std::vector<double>{fill.as_number()} : a.get<std::vector<double>>("fill");
        if (o.fill.empty()) a.fail("fill", "expected a number or one per channel, got []");
        return std::make_shared<RandomRotation>(o);
      });
}

}  // namespace lighter::torchvision
