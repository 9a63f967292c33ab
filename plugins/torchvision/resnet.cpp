// torchvision.models.resnet18/34/50 with torchvision's module names, so state_dicts move
// between Python and lighter: conv1, bn1, relu, maxpool, layer1..layer4 (Sequentials of
// BasicBlock / Bottleneck: conv1, bn1, conv2, bn2[, conv3, bn3], downsample.0 / .1), avgpool, fc.
// Modules are built and initialised in torchvision's order, so they consume the global random
// stream as Python does.
#include <lighter/module.hpp>
#include <lighter/sdk.hpp>

#include "registrations.hpp"

namespace lighter::torchvision {

namespace {
torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// BasicBlock (two 3x3 convolutions, expansion 1) or Bottleneck (1x1, 3x3 with the stride as in
// ResNet v1.5, 1x1; expansion 4).
class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(bool bottleneck, int64_t in, int64_t planes, int64_t stride, torch::nn::Sequential downsample)
      : bottleneck_(bottleneck) {
    const int64_t out = bottleneck ? planes * 4 : planes;
    conv1_ = register_module("conv1", bottleneck ? conv(in, planes, 1, 1) : conv(in, planes, 3, stride));
    bn1_ = register_module("bn1", torch::nn::BatchNorm2d(planes));
    if (!bottleneck) relu_ = register_module("relu", torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    conv2_ = register_module("conv2", conv(planes, bottleneck ? planes : out, 3, bottleneck ? stride : 1));
    bn2_ = register_module("bn2", torch::nn::BatchNorm2d(bottleneck ? planes : out));
    if (bottleneck) {
      conv3_ = register_module("conv3", conv(planes, out, 1, 1));
      bn3_ = register_module("bn3", torch::nn::BatchNorm2d(out));
      relu_ = register_module("relu", torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    }
    if (downsample) downsample_ = register_module("downsample", downsample);
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor identity = downsample_ ? downsample_->forward(x) : x;
    torch::Tensor out = relu_(bn1_(conv1_(x)));
    out = bn2_(conv2_(out));
    if (bottleneck_) out = bn3_(conv3_(relu_(out)));
    return relu_(out + identity);
  }

  // The last BatchNorm of the residual branch (zero_init_residual sets its weight to 0).
  torch::nn::BatchNorm2d last_norm() const { return bottleneck_ ? bn3_ : bn2_; }

 private:
  bool bottleneck_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::ReLU relu_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(Block);

class ResNetImpl : public torch::nn::Module {
 public:
  ResNetImpl(bool bottleneck, const std::vector<int64_t>& layers, int64_t num_classes, bool zero_init_residual)
      : bottleneck_(bottleneck) {
    conv1_ = register_module("conv1", conv(3, 64, 7, 2));
    bn1_ = register_module("bn1", torch::nn::BatchNorm2d(64));
    relu_ = register_module("relu", torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    maxpool_ = register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
    const int64_t planes[] = {64, 128, 256, 512};
    for (size_t i = 0; i < 4; ++i)
      layers_[i] = register_module("layer" + std::to_string(i + 1), make_layer(planes[i], layers[i], i == 0 ? 1 : 2));
    avgpool_ = register_module("avgpool", torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));
    fc_ = register_module("fc", torch::nn::Linear(512 * expansion(), num_classes));

    torch::NoGradGuard no_grad;
    for (const auto& module : modules(/*include_self=*/false)) {
      if (auto* c = module->as<torch::nn::Conv2d>())
        torch::nn::init::kaiming_normal_(c->weight, 0, torch::kFanOut, torch::kReLU);
      else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
        bn->weight.fill_(1);
        bn->bias.zero_();
      }
    }
    if (zero_init_residual)
      for (const auto& module : modules(/*include_self=*/false))
        if (auto* block = module->as<Block>()) block->last_norm()->weight.zero_();
  }

  torch::Tensor forward(torch::Tensor x) {
    x = maxpool_(relu_(bn1_(conv1_(x))));
    for (auto& layer : layers_) x = layer->forward(x);
    return fc_(torch::flatten(avgpool_(x), 1));
  }

 private:
  int64_t expansion() const { return bottleneck_ ? 4 : 1; }

  torch::nn::Sequential make_layer(int64_t planes, int64_t blocks, int64_t stride) {
    torch::nn::Sequential downsample{nullptr};
    if (stride != 1 || in_planes_ != planes * expansion())
      downsample = torch::nn::Sequential(conv(in_planes_, planes * expansion(), 1, stride),
                                         torch::nn::BatchNorm2d(planes * expansion()));
    torch::nn::Sequential layer;
    layer->push_back(Block(bottleneck_, in_planes_, planes, stride, downsample));
    in_planes_ = planes * expansion();
    for (int64_t b = 1; b < blocks; ++b) layer->push_back(Block(bottleneck_, in_planes_, planes, 1, nullptr));
    return layer;
  }

  bool bottleneck_;
  int64_t in_planes_ = 64;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::ReLU relu_{nullptr};
  torch::nn::MaxPool2d maxpool_{nullptr};
  torch::nn::Sequential layers_[4] = {nullptr, nullptr, nullptr, nullptr};
  torch::nn::AdaptiveAvgPool2d avgpool_{nullptr};
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(ResNet);

void add(Registrar& r, const std::string& name, bool bottleneck, std::vector<int64_t> layers) {
  using namespace lighter::param;
  std::string blocks;
  for (int64_t n : layers) blocks += (blocks.empty() ? "" : ", ") + std::to_string(n);
  r.add<Module>(
      "torchvision.models." + name,
      "ResNet with " + std::string(bottleneck ? "Bottleneck" : "BasicBlock") + "s [" + blocks +
          "] and torchvision's parameter names; randomly initialised (weights = null)",
      {any("weights", Value(), "must be null: pretrained weights cannot be downloaded here"),
       boolean("progress", true, "accepted for Python configs (nothing is downloaded)"),
       integer("num_classes", 1000, "outputs of the final fc layer"),
       boolean("zero_init_residual", false, "start each block's last BatchNorm weight at 0")},
      [bottleneck, layers, name](const Args& a) {
        if (a.has("weights"))
          a.fail("weights", "pretrained weights cannot be downloaded here (no network access); set weights = null "
                            "and load a state_dict, e.g. a checkpoint converted from torchvision's " + name +
                            " weights, got " + a.get<Value>("weights").repr());
        const int64_t num_classes = a.get<int64_t>("num_classes");
        if (num_classes < 1) a.fail("num_classes", "expected an integer >= 1, got " + std::to_string(num_classes));
        return make_module(ResNet(bottleneck, layers, num_classes, a.get<bool>("zero_init_residual")));
      });
}
}  // namespace

void register_resnet(Registrar& r) {
  add(r, "resnet18", false, {2, 2, 2, 2});
  add(r, "resnet34", false, {3, 4, 6, 3});
  add(r, "resnet50", true, {3, 4, 6, 3});
}

}  // namespace lighter::torchvision
