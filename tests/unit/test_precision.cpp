// trainer::precision: the names Lightning accepts, autocast scopes on the CPU, and the loss
// scaler's rules (torch.cuda.amp.GradScaler's) on CPU tensors.
#include "engine/grad_scaler.hpp"  // torch first: glog's CHECK must not replace Catch's
#include "engine/precision.hpp"
#undef CHECK

#include <catch2/catch.hpp>

#include <limits>

#include "lighter/torch_compat.hpp"

using namespace lighter;
using namespace lighter::host;

namespace {

torch::Tensor param_with_grad(std::vector<float> grad) {
  auto p = torch::zeros({static_cast<int64_t>(grad.size())}).set_requires_grad(true);
  p.mutable_grad() = torch::tensor(grad);
  return p;
}

}  // namespace

TEST_CASE("precision names: Lightning's canonical names and short forms", "[precision]") {
  CHECK(canonical_precision("32-true") == "32-true");
  CHECK(canonical_precision("32") == "32-true");
  CHECK(canonical_precision("16") == "16-mixed");
  CHECK(canonical_precision("bf16") == "bf16-mixed");
  CHECK(canonical_precision("64") == "64-true");
  CHECK(canonical_precision("bf16-true") == "bf16-true");
  CHECK_FALSE(canonical_precision("8-mixed"));
  CHECK_FALSE(canonical_precision("bf16-mixed "));

  const c10::Device cpu(torch::kCPU);
  CHECK_FALSE(make_precision("32-true", cpu).mixed());
  CHECK(make_precision("bf16-mixed", cpu).autocast == torch::kBFloat16);
  CHECK_FALSE(make_precision("bf16-mixed", cpu).loss_scaling);
  CHECK(make_precision("64-true", cpu).weights == torch::kDouble);
  CHECK(make_precision("16-true", cpu).weights == torch::kHalf);
  CHECK(make_precision("16-mixed", c10::Device(torch::kCUDA)).loss_scaling);
  CHECK_THROWS_WITH(make_precision("16-mixed", cpu), Catch::Contains("needs a CUDA device") && Catch::Contains("bf16-mixed"));
}

TEST_CASE("bf16-mixed on the CPU: matmuls run in bfloat16 inside the scope only, and scopes nest", "[precision]") {
  const c10::Device cpu(torch::kCPU);
  const Precision bf16 = make_precision("bf16-mixed", cpu);
  const auto a = torch::randn({4, 4}), b = torch::randn({4, 4});
  CHECK(torch::mm(a, b).scalar_type() == torch::kFloat);
  {
    AutocastScope outer(bf16, cpu);
    CHECK(torch::mm(a, b).scalar_type() == torch::kBFloat16);
    CHECK(torch::relu(a).scalar_type() == torch::kFloat);  // not on autocast's lower-precision list
    {
      AutocastScope inner(bf16, cpu);
      CHECK(torch::mm(a, b).scalar_type() == torch::kBFloat16);
    }
    CHECK(compat::autocast_enabled(c10::DeviceType::CPU));  // the inner scope restored, not reset
  }
  CHECK_FALSE(compat::autocast_enabled(c10::DeviceType::CPU));
  CHECK(torch::mm(a, b).scalar_type() == torch::kFloat);
  {
    AutocastScope off(make_precision("32-true", cpu), cpu);  // a no-op for the true precisions
    CHECK(torch::mm(a, b).scalar_type() == torch::kFloat);
  }
}

TEST_CASE("the loss scaler starts at 65536, scales losses and unscales gradients exactly", "[precision][scaler]") {
  GradScaler scaler;
  CHECK(scaler.scale_value() == 65536.0);
  CHECK(scaler.scale(torch::tensor(0.5f)).item<float>() == 32768.0f);
  auto p = param_with_grad({65536.0f, -131072.0f});
  CHECK_FALSE(scaler.unscale({p}));
  CHECK(p.grad()[0].item<float>() == 1.0f);
  CHECK(p.grad()[1].item<float>() == -2.0f);
  CHECK_FALSE(scaler.unscale({p}));  // once per step: a second call changes nothing
  CHECK(p.grad()[0].item<float>() == 1.0f);
  scaler.update();
  CHECK(scaler.scale_value() == 65536.0);
  CHECK(scaler.growth_tracker() == 1);
}

TEST_CASE("the loss scaler backs off on inf/NaN gradients and grows after growth_interval clean steps", "[precision][scaler]") {
  GradScaler scaler(GradScaler::Options{/*init_scale=*/1024.0, /*growth_factor=*/2.0, /*backoff_factor=*/0.5,
                                        /*growth_interval=*/3});
  auto clean = [] { return param_with_grad({1.0f}); };
  for (int i = 0; i < 2; ++i) {
    CHECK_FALSE(scaler.unscale({clean()}));
    scaler.update();
  }
  CHECK(scaler.growth_tracker() == 2);
  SECTION("an inf gradient: the step is reported unsafe, the scale halves, the count restarts") {
    CHECK(scaler.unscale({clean(), param_with_grad({1.0f, std::numeric_limits<float>::infinity()})}));
    scaler.update();
    CHECK(scaler.scale_value() == 512.0);
    CHECK(scaler.growth_tracker() == 0);
  }
  SECTION("a NaN gradient counts the same") {
    CHECK(scaler.unscale({param_with_grad({std::numeric_limits<float>::quiet_NaN()})}));
    scaler.update();
    CHECK(scaler.scale_value() == 512.0);
  }
  SECTION("a third clean step doubles the scale") {
    CHECK_FALSE(scaler.unscale({clean()}));
    scaler.update();
    CHECK(scaler.scale_value() == 2048.0);
    CHECK(scaler.growth_tracker() == 0);
  }
  SECTION("a step without gradients leaves the scale alone") {
    scaler.update();
    CHECK(scaler.growth_tracker() == 2);
  }
}

TEST_CASE("the loss scaler's state round-trips under GradScaler.state_dict()'s keys", "[precision][scaler]") {
  GradScaler scaler;
  CHECK(scaler.unscale({param_with_grad({std::numeric_limits<float>::infinity()})}));
  scaler.update();
  CHECK_FALSE(scaler.unscale({param_with_grad({1.0f})}));
  scaler.update();
  const Dict state = scaler.state_dict();
  CHECK(state.at("scale").toDouble() == 32768.0);
  CHECK(state.at("_growth_tracker").toInt() == 1);
  CHECK(state.at("growth_interval").toInt() == 2000);
  CHECK(state.at("growth_factor").toDouble() == 2.0);
  CHECK(state.at("backoff_factor").toDouble() == 0.5);

  GradScaler restored;
  restored.load_state_dict(state);
  CHECK(restored.scale_value() == 32768.0);
  CHECK(restored.growth_tracker() == 1);

  Dict broken = state;
  broken.set("scale", -1.0);
  CHECK_THROWS_WITH(restored.load_state_dict(broken), Catch::Contains("finite number > 0"));
  broken = state;
  broken.erase("_growth_tracker");
  CHECK_THROWS_WITH(restored.load_state_dict(broken), Catch::Contains("_growth_tracker"));
}
