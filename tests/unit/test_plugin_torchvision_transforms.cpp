// torchvision transforms Resize, CenterCrop, Pad, RandomResizedCrop, ColorJitter and
// RandomRotation: torchvision's parameters and tensor semantics, exact values on small images
// where the result is known, and randomness drawn only from the generator they are given.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <lighter/data.hpp>

#include <cmath>

#include "support/python_reference.hpp"

using lighter::ParamError;
using lighter::Transform;
using lighter::Value;
using Array = Value::Array;

namespace {
std::shared_ptr<Transform> transform(const std::string& name, Value::Table values = {}) {
  return lighter::test::plugin(LIGHTER_PLUGIN_TORCHVISION)
      .make<Transform>("torchvision.transforms." + name, std::move(values));
}
torch::Generator generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }
torch::Tensor floats(std::vector<float> values) { return torch::tensor(values); }
torch::Tensor grid(int64_t channels, int64_t height, int64_t width) {
  return torch::arange(channels * height * width, torch::kFloat).view({channels, height, width});
}
}  // namespace

TEST_CASE("Resize: [h, w], or the smaller edge keeping the aspect ratio, bounded by max_size",
          "[plugin][torchvision][transforms]") {
  torch::Generator g = generator(0);
  const auto constant = torch::full({3, 8, 12}, 0.25);
  auto out = transform("Resize", {{"size", Array{5, 7}}})->apply(constant, g);
  CHECK(out.sizes() == torch::IntArrayRef({3, 5, 7}));
  CHECK(torch::allclose(out, torch::full({3, 5, 7}, 0.25)));
  CHECK(transform("Resize", {{"size", 4}})->apply(constant, g).sizes() == torch::IntArrayRef({3, 4, 6}));
  CHECK(transform("Resize", {{"size", 4}})->apply(torch::zeros({1, 12, 8}), g).sizes() == torch::IntArrayRef({1, 6, 4}));
  CHECK(transform("Resize", {{"size", 6}})->apply(torch::zeros({1, 7, 10}), g).sizes() ==
        torch::IntArrayRef({1, 6, 8}));  // int(6 * 10 / 7) = 8
  CHECK(transform("Resize", {{"size", 4}, {"max_size", 5}})->apply(constant, g).sizes() ==
        torch::IntArrayRef({3, 3, 5}));  // long edge 6 > 5: short edge int(5 * 4 / 6) = 3
  CHECK(torch::equal(transform("Resize", {{"size", Array{8, 12}}})->apply(grid(1, 8, 12), g), grid(1, 8, 12)));

  SECTION("nearest takes source pixels; upscaling 2x repeats them") {
    auto up = transform("Resize", {{"size", Array{4, 4}}, {"interpolation", "nearest"}})->apply(grid(1, 2, 2), g);
    CHECK(torch::equal(up[0], floats({0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}).view({4, 4})));
  }
  SECTION("bilinear antialiases when shrinking; uint8 is resized in float and rounded back") {
    namespace F = torch::nn::functional;
    const auto image = grid(1, 4, 8).div(31);
    auto options = F::InterpolateFuncOptions().size(std::vector<int64_t>{2, 3}).mode(torch::kBilinear).align_corners(false);
    auto down = transform("Resize", {{"size", Array{2, 3}}})->apply(image, g);
    CHECK(torch::allclose(down, F::interpolate(image.unsqueeze(0), options.antialias(true))[0]));
    CHECK_FALSE(torch::allclose(down, F::interpolate(image.unsqueeze(0), options.antialias(false))[0]));
    CHECK(torch::allclose(transform("Resize", {{"size", Array{2, 3}}, {"antialias", false}})->apply(image, g),
                          F::interpolate(image.unsqueeze(0), options.antialias(false))[0]));
    auto bytes = transform("Resize", {{"size", Array{2, 3}}})->apply(grid(1, 4, 8).to(torch::kByte), g);
    CHECK(bytes.scalar_type() == torch::kByte);
    CHECK(torch::equal(bytes, F::interpolate(grid(1, 4, 8).unsqueeze(0), options.antialias(true))[0].round().to(torch::kByte)));
  }
  SECTION("batches resize like their samples") {
    auto batch = torch::rand({2, 3, 9, 6}, g);
    auto resize = transform("Resize", {{"size", 4}, {"interpolation", "bicubic"}});
    auto together = resize->apply_batch(batch, g);
    CHECK(together.sizes() == torch::IntArrayRef({2, 3, 6, 4}));
    CHECK(torch::allclose(together[1], resize->apply(batch[1], g)));
  }
  SECTION("invalid parameters") {
    CHECK_THROWS_AS(transform("Resize", {{"size", 0}}), ParamError);
    CHECK_THROWS_AS(transform("Resize", {{"size", 4}, {"interpolation", "lanczos"}}), ParamError);
    CHECK_THROWS_WITH(transform("Resize", {{"size", Array{4, 5}}, {"max_size", 9}}),
                      Catch::Contains("only applies when size is one int"));
    CHECK_THROWS_WITH(transform("Resize", {{"size", 4}, {"max_size", 4}}), Catch::Contains("expected more than size"));
    CHECK_THROWS_AS(transform("Resize", {}), ParamError);
  }
}

TEST_CASE("CenterCrop takes the centre, rounding like Python, and pads small images with zeros",
          "[plugin][torchvision][transforms]") {
  torch::Generator g = generator(0);
  const auto image = grid(1, 4, 5);  // rows 0-4, 5-9, 10-14, 15-19
  // (4 - 2) / 2 = 1; (5 - 2) / 2 = 1.5 rounds to 2.
  CHECK(torch::equal(transform("CenterCrop", {{"size", 2}})->apply(image, g)[0], floats({7, 8, 12, 13}).view({2, 2})));
  // (4 - 3) / 2 = 0.5 rounds to 0 (half to even).
  CHECK(torch::equal(transform("CenterCrop", {{"size", Array{3, 2}}})->apply(image, g)[0],
                     floats({2, 3, 7, 8, 12, 13}).view({3, 2})));
  auto padded = transform("CenterCrop", {{"size", Array{6, 6}}})->apply(image, g);
  CHECK(torch::equal(padded, torch::constant_pad_nd(image, {0, 1, 1, 1}, 0)));
  auto batch = torch::stack({image, image + 100});
  CHECK(torch::equal(transform("CenterCrop", {{"size", 2}})->apply_batch(batch, g)[1][0],
                     floats({107, 108, 112, 113}).view({2, 2})));
  CHECK_THROWS_AS(transform("CenterCrop", {{"size", Array{1, 2, 3}}}), ParamError);
}

TEST_CASE("Pad pads each side with torchvision's modes", "[plugin][torchvision][transforms]") {
  torch::Generator g = generator(0);
  const auto row = floats({1, 2, 3}).view({1, 1, 3});
  auto pad = [&](Value::Table values) { return transform("Pad", values)->apply(row, g)[0][0]; };
  CHECK(torch::equal(pad({{"padding", Array{2, 0}}}), floats({0, 0, 1, 2, 3, 0, 0})));
  CHECK(torch::equal(pad({{"padding", Array{2, 0}}, {"fill", 9}}), floats({9, 9, 1, 2, 3, 9, 9})));
  CHECK(torch::equal(pad({{"padding", Array{2, 0}}, {"padding_mode", "edge"}}), floats({1, 1, 1, 2, 3, 3, 3})));
  CHECK(torch::equal(pad({{"padding", Array{2, 0}}, {"padding_mode", "reflect"}}), floats({3, 2, 1, 2, 3, 2, 1})));
  CHECK(torch::equal(pad({{"padding", Array{2, 0}}, {"padding_mode", "symmetric"}}), floats({2, 1, 1, 2, 3, 3, 2})));
  CHECK(torch::equal(pad({{"padding", Array{1, 0, 2, 0}}}), floats({0, 1, 2, 3, 0, 0})));
  CHECK(transform("Pad", {{"padding", 1}})->apply(row, g).sizes() == torch::IntArrayRef({1, 3, 5}));
  CHECK(transform("Pad", {{"padding", Array{1, 2, 3, 4}}})->apply(row, g).sizes() == torch::IntArrayRef({1, 7, 7}));
  CHECK_THROWS_WITH(transform("Pad", {{"padding", Array{3, 0}}, {"padding_mode", "reflect"}})->apply(row, g),
                    Catch::Contains("Pad: reflect padding of 3"));
  CHECK_THROWS_WITH(transform("Pad", {{"padding", Array{1, 2, 3}}}), Catch::Contains("a list of 1, 2 or 4"));
  CHECK_THROWS_AS(transform("Pad", {{"padding", -1}}), ParamError);
  CHECK_THROWS_AS(transform("Pad", {{"padding", 1}, {"padding_mode", "wrap"}}), ParamError);
  CHECK_THROWS_AS(transform("Pad", {}), ParamError);
}

TEST_CASE("RandomResizedCrop draws torchvision's window and resizes it", "[plugin][torchvision][transforms]") {
  const auto image = grid(2, 10, 10);
  SECTION("the window follows torchvision's draws: area, log-ratio, then top and left") {
    auto crop = transform("RandomResizedCrop", {{"size", Array{3, 4}}, {"interpolation", "nearest"}});
    torch::Generator a = generator(4), draws = generator(4);
    const auto log_ratio = torch::log(torch::tensor({3.0 / 4, 4.0 / 3}, torch::kFloat));
    for (int i = 0; i < 8; ++i) {
      int64_t w = 0, h = 0;
      for (int attempt = 0; attempt < 10; ++attempt) {
        const double area = 100 * torch::empty({1}).uniform_(0.08, 1.0, draws).item<double>();
        const double ratio = torch::exp(torch::empty({1}).uniform_(log_ratio[0].item<double>(),
                                                                     log_ratio[1].item<double>(), draws))
                                 .item<double>();
        w = static_cast<int64_t>(std::nearbyint(std::sqrt(area * ratio)));
        h = static_cast<int64_t>(std::nearbyint(std::sqrt(area / ratio)));
        if (w <= 10 && h <= 10) break;
      }
      const int64_t top = torch::randint(0, 10 - h + 1, {1}, draws).item<int64_t>();
      const int64_t left = torch::randint(0, 10 - w + 1, {1}, draws).item<int64_t>();
      const auto window = image.slice(1, top, top + h).slice(2, left, left + w).unsqueeze(0);
      const auto expected = torch::nn::functional::interpolate(
          window, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{3, 4}).mode(torch::kNearest));
      CHECK(torch::equal(crop->apply(image, a), expected[0]));
    }
  }
  SECTION("scale and ratio fixed at the whole image give a plain resize") {
    torch::Generator g = generator(1);
    auto whole = transform("RandomResizedCrop", {{"size", 5}, {"scale", Array{1.0, 1.0}}, {"ratio", Array{1.0, 1.0}}});
    auto resize = transform("Resize", {{"size", Array{5, 5}}});
    CHECK(torch::allclose(whole->apply(image, g), resize->apply(image, g)));
  }
  SECTION("no attempt fits: the fallback crops the centre at the ratio clamped into range") {
    torch::Generator g = generator(1);
    // A 2x10 strip has ratio 5 > 4/3, and no window of 4x the area fits in 10 tries.
    const auto strip = grid(1, 2, 10);
    auto crop = transform("RandomResizedCrop", {{"size", Array{2, 3}}, {"scale", Array{4.0, 4.0}}, {"interpolation", "nearest"}});
    // h = 2, w = round(2 * 4/3) = 3, top 0, left (10 - 3) / 2 = 3.
    CHECK(torch::equal(crop->apply(strip, g), strip.slice(2, 3, 6)));
  }
  SECTION("invalid parameters") {
    CHECK_THROWS_WITH(transform("RandomResizedCrop", {{"size", 4}, {"scale", Array{0.9, 0.1}}}),
                      Catch::Contains("min <= max"));
    CHECK_THROWS_WITH(transform("RandomResizedCrop", {{"size", 4}, {"ratio", Array{0, 1}}}),
                      Catch::Contains("expected values > 0"));
    CHECK_THROWS_AS(transform("RandomResizedCrop", {{"size", 4}, {"scale", Array{0.5}}}), ParamError);
    CHECK_THROWS_AS(transform("RandomResizedCrop", {}), ParamError);
  }
}

TEST_CASE("ColorJitter: torchvision's factors, formulas and random order", "[plugin][torchvision][transforms]") {
  torch::Generator g = generator(0);
  const auto image = floats({0.2f, 0.4f, 0.9f, 0.5f, 0.5f, 0.1f, 0.7f, 0.0f, 0.3f, 1.0f, 0.6f, 0.6f}).view({3, 2, 2});
  SECTION("a fixed brightness factor scales and clamps") {
    CHECK(torch::allclose(transform("ColorJitter", {{"brightness", Array{0.5, 0.5}}})->apply(image, g), image * 0.5));
    CHECK(torch::allclose(transform("ColorJitter", {{"brightness", Array{2, 2}}})->apply(image, g),
                          (image * 2).clamp(0, 1)));
  }
  SECTION("contrast blends with the mean grey; saturation with the grey image") {
    const auto gray = 0.2989 * image[0] + 0.587 * image[1] + 0.114 * image[2];
    CHECK(torch::allclose(transform("ColorJitter", {{"contrast", Array{0.0, 0.0}}})->apply(image, g),
                          gray.mean().expand({3, 2, 2})));
    CHECK(torch::allclose(transform("ColorJitter", {{"saturation", Array{0, 0}}})->apply(image, g),
                          gray.unsqueeze(0).expand({3, 2, 2})));
    CHECK(torch::allclose(transform("ColorJitter", {{"saturation", Array{0.5, 0.5}}})->apply(image, g),
                          (0.5 * image + 0.5 * gray).clamp(0, 1)));
  }
  SECTION("hue shifts rotate the colour wheel") {
    const auto red = torch::tensor({1.0f, 0.0f, 0.0f}).view({3, 1, 1});
    auto shift = [&](double h) { return transform("ColorJitter", {{"hue", Array{h, h}}})->apply(red, g).flatten(); };
    CHECK(torch::allclose(shift(1.0 / 3), floats({0, 1, 0}), 1e-5, 1e-5));   // red to green
    CHECK(torch::allclose(shift(-1.0 / 3), floats({0, 0, 1}), 1e-5, 1e-5));  // red to blue
    CHECK(torch::allclose(shift(1.0 / 6), floats({1, 1, 0}), 1e-5, 1e-5));   // red to yellow
    const auto grey = torch::full({1, 2, 2}, 0.3);
    CHECK(torch::equal(transform("ColorJitter", {{"hue", 0.4}})->apply(grey, g), grey));  // one channel: unchanged
  }
  SECTION("draws: randperm(4), then one uniform per enabled factor, applied in the drawn order") {
    auto jitter = transform("ColorJitter", {{"brightness", 0.5}, {"contrast", Array{0.2, 1.5}}});
    torch::Generator a = generator(9), draws = generator(9);
    for (int i = 0; i < 4; ++i) {
      const auto order = torch::randperm(4, draws, torch::kLong);
      const double b = torch::empty({1}).uniform_(0.5, 1.5, draws).item<double>();
      const double c = torch::empty({1}).uniform_(0.2, 1.5, draws).item<double>();
      torch::Tensor expected = image;
      for (int64_t k = 0; k < 4; ++k) {
        const int64_t fn = order[k].item<int64_t>();
        if (fn == 0) expected = (expected * b).clamp(0, 1);
        if (fn == 1) {
          const auto mean = (0.2989 * expected[0] + 0.587 * expected[1] + 0.114 * expected[2]).mean();
          expected = (c * expected + (1 - c) * mean).clamp(0, 1);
        }
      }
      CHECK(torch::allclose(jitter->apply(image, a), expected));
    }
  }
  SECTION("parameter checks as torchvision's _check_input") {
    CHECK_THROWS_WITH(transform("ColorJitter", {{"brightness", -0.1}}), Catch::Contains("expected a number >= 0"));
    CHECK_THROWS_WITH(transform("ColorJitter", {{"hue", 0.6}}), Catch::Contains("expected values from -0.5 to 0.5"));
    CHECK_THROWS_WITH(transform("ColorJitter", {{"contrast", Array{-1, 1}}}), Catch::Contains("expected values from 0"));
    CHECK_THROWS_WITH(transform("ColorJitter", {{"saturation", Array{2, 1}}}), Catch::Contains("min <= max"));
    CHECK_THROWS_WITH(transform("ColorJitter", {{"brightness", 0.2}})->apply(torch::zeros({2, 2, 2}), g),
                      Catch::Contains("1 or 3 channels"));
    CHECK_THROWS_WITH(transform("ColorJitter", {{"brightness", 0.2}})->apply(torch::zeros({3, 2, 2}, torch::kByte), g),
                      Catch::Contains("expected a float image"));
    // Neutral settings draw only the permutation and change nothing.
    CHECK(torch::equal(transform("ColorJitter", {{"brightness", Array{1, 1}}})->apply(image, g), image));
  }
}

TEST_CASE("RandomRotation rotates counter-clockwise by a drawn angle", "[plugin][torchvision][transforms]") {
  torch::Generator g = generator(0);
  const auto square = grid(1, 3, 3);  // 0 1 2 / 3 4 5 / 6 7 8
  SECTION("90 degrees turns the image left; 180 reverses it") {
    CHECK(torch::equal(transform("RandomRotation", {{"degrees", Array{90, 90}}})->apply(square, g),
                       square.rot90(1, {1, 2})));
    CHECK(torch::equal(transform("RandomRotation", {{"degrees", Array{180, 180}}})->apply(square, g),
                       square.flip({1, 2})));
    CHECK(torch::allclose(transform("RandomRotation", {{"degrees", Array{90, 90}}, {"interpolation", "bilinear"}})
                              ->apply(square, g),
                          square.rot90(1, {1, 2}), 1e-5, 1e-5));
  }
  SECTION("fill marks what comes from outside; expand holds the whole image") {
    const auto wide = grid(2, 2, 4);
    auto turned = transform("RandomRotation", {{"degrees", Array{90, 90}}, {"fill", Array{-1, -2}}})->apply(wide, g);
    CHECK(turned.sizes() == torch::IntArrayRef({2, 2, 4}));
    CHECK(turned[0][0][0].item<float>() == -1.0f);
    CHECK(turned[1][0][0].item<float>() == -2.0f);
    auto expanded = transform("RandomRotation", {{"degrees", Array{90, 90}}, {"expand", true}})->apply(wide, g);
    CHECK(torch::equal(expanded, wide.rot90(1, {1, 2})));
  }
  SECTION("center: rotating about the top-left corner by 180 leaves only that pixel") {
    auto out = transform("RandomRotation", {{"degrees", Array{180, 180}}, {"center", Array{0.5, 0.5}}, {"fill", -1}})
                   ->apply(square, g);
    CHECK(out[0][0][0].item<float>() == 0.0f);
    CHECK(out.eq(-1).sum().item<int64_t>() == 8);
  }
  SECTION("the angle is one uniform draw from [-d, d]") {
    auto rotate = transform("RandomRotation", {{"degrees", 90}, {"interpolation", "bilinear"}});
    torch::Generator a = generator(6), draws = generator(6);
    const auto blob = torch::zeros({1, 9, 9}).index_put_({0, 4, torch::indexing::Slice(4, 9)}, 1.0);  // a ray to the right
    for (int i = 0; i < 3; ++i) {
      const double angle = torch::empty({1}).uniform_(-90, 90, draws).item<double>();
      auto out = rotate->apply(blob, a);
      // The ray's centre of mass moves to angle degrees counter-clockwise (y points down).
      const auto ys = torch::arange(9, torch::kFloat).view({9, 1}), xs = torch::arange(9, torch::kFloat).view({1, 9});
      const double mass = out.sum().item<double>();
      const double x = (out[0] * xs).sum().item<double>() / mass - 4, y = (out[0] * ys).sum().item<double>() / mass - 4;
      CHECK(std::atan2(-y, x) * 180 / M_PI == Approx(angle).margin(4));
    }
  }
  SECTION("invalid parameters") {
    CHECK_THROWS_WITH(transform("RandomRotation", {{"degrees", -5}}), Catch::Contains("expected a number >= 0"));
    CHECK_THROWS_WITH(transform("RandomRotation", {{"degrees", Array{10, 5}}}), Catch::Contains("min <= max"));
    CHECK_THROWS_AS(transform("RandomRotation", {{"degrees", 5}, {"interpolation", "bicubic"}}), ParamError);
    CHECK_THROWS_WITH(transform("RandomRotation", {{"degrees", 5}, {"center", Array{1}}}), Catch::Contains("[x, y]"));
    CHECK_THROWS_WITH(transform("RandomRotation", {{"degrees", 5}, {"fill", Array{1, 2}}})->apply(grid(3, 2, 2), g),
                      Catch::Contains("the image has 3 channels but fill has 2 values"));
    CHECK_THROWS_AS(transform("RandomRotation", {}), ParamError);
  }
}
