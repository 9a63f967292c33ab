// torchvision.models.resnet18/34/50: torchvision's module and parameter names (so state_dicts
// move between Python and lighter), its parameter counts and initialisation, and the same
// forward pass as the architecture written out in plain torch.nn.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/module.hpp>

#include "support/python_reference.hpp"

using lighter::ParamError;
using lighter::Value;

namespace {
std::shared_ptr<lighter::Module> resnet(const std::string& name, Value::Table values = {}) {
  return lighter::test::plugin(LIGHTER_PLUGIN_TORCHVISION)
      .make<lighter::Module>("torchvision.models." + name, std::move(values));
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

std::vector<std::string> keys(const torch::OrderedDict<std::string, torch::Tensor>& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) out.push_back(entry.key());
  return out;
}

// The key's characters weighted by position: Python prints the same for its keys.
int64_t key_hash(const std::string& key) {
  int64_t h = 0;
  for (size_t i = 0; i < key.size(); ++i) h += static_cast<int64_t>(i + 1) * static_cast<unsigned char>(key[i]);
  return h;
}

// torchvision's ResNet (torchvision/models/resnet.py) in plain torch.nn, built after seeding as
// the C++ test does; `blocks` is BasicBlock or Bottleneck, `layers` the block counts.
std::string python_resnet(const std::string& blocks, const std::string& layers, int64_t num_classes) {
  return R"(import torch
from torch import nn
class BasicBlock(nn.Module):
    expansion = 1
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)
class Bottleneck(nn.Module):
    expansion = 4
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)
class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)
    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))
def key_hash(k):
    return sum((i + 1) * ord(c) for i, c in enumerate(k))
torch.manual_seed(7)
model = ResNet()" + blocks + ", " + layers + ", " + std::to_string(num_classes) + R"().eval()
for entries in (model.named_parameters(), model.named_buffers()):
    for k, v in entries:
        print(key_hash(k), v.numel(), float(v.double().sum()))
torch.manual_seed(8)
with torch.no_grad():
    print(*model(torch.rand(2, 3, 64, 64)).flatten().tolist())
)";
}
}  // namespace

TEST_CASE("resnet18 has torchvision's state_dict keys, shapes and parameter count", "[plugin][torchvision][resnet]") {
  auto model = resnet("resnet18");
  const auto& net = *model->ptr();
  const auto params = net.named_parameters(), buffers = net.named_buffers();
  CHECK(params.size() == 62);
  CHECK(buffers.size() == 60);  // running_mean, running_var, num_batches_tracked of 20 BatchNorms
  CHECK(parameter_count(net) == 11689512);
  const std::vector<std::string> names = keys(params);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 9) ==
        std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight",
                                 "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.conv2.weight",
                                 "layer1.0.bn2.weight", "layer1.0.bn2.bias"});
  CHECK(std::vector<std::string>(names.end() - 2, names.end()) == std::vector<std::string>{"fc.weight", "fc.bias"});
  CHECK(params["layer2.0.downsample.0.weight"].sizes() == torch::IntArrayRef({128, 64, 1, 1}));
  CHECK(params["layer2.0.downsample.1.weight"].sizes() == torch::IntArrayRef({128}));
  CHECK(params["layer4.1.conv2.weight"].sizes() == torch::IntArrayRef({512, 512, 3, 3}));
  CHECK(params["fc.weight"].sizes() == torch::IntArrayRef({1000, 512}));
  CHECK(params.find("layer1.0.downsample.0.weight") == nullptr);  // layer1 keeps 64 channels at stride 1
  CHECK(buffers.find("layer3.1.bn2.running_var") != nullptr);
  CHECK(buffers.find("bn1.num_batches_tracked") != nullptr);

  // torchvision's initialisation: BatchNorm weight 1 and bias 0; convs kaiming_normal_(fan_out, relu).
  CHECK(torch::equal(params["layer3.0.bn1.weight"], torch::ones({256})));
  CHECK(torch::equal(params["layer3.0.bn1.bias"], torch::zeros({256})));
  const torch::Tensor conv = params["layer4.0.conv2.weight"];
  CHECK(conv.mean().item<double>() == Approx(0).margin(1e-3));
  CHECK(conv.std().item<double>() == Approx(std::sqrt(2.0 / (512 * 9))).epsilon(0.01));
}

TEST_CASE("resnet34 and resnet50 have torchvision's parameter counts and block layout", "[plugin][torchvision][resnet]") {
  auto r34 = resnet("resnet34"), r50 = resnet("resnet50");
  CHECK(parameter_count(*r34->ptr()) == 21797672);
  CHECK(parameter_count(*r50->ptr()) == 25557032);
  const auto p50 = r50->ptr()->named_parameters();
  CHECK(p50.size() == 161);
  CHECK(p50["layer1.0.conv3.weight"].sizes() == torch::IntArrayRef({256, 64, 1, 1}));
  CHECK(p50["layer1.0.downsample.0.weight"].sizes() == torch::IntArrayRef({256, 64, 1, 1}));  // expansion 4
  CHECK(p50["layer2.0.conv2.weight"].sizes() == torch::IntArrayRef({128, 128, 3, 3}));  // the stride sits here (v1.5)
  CHECK(p50["fc.weight"].sizes() == torch::IntArrayRef({1000, 2048}));
  CHECK(r34->ptr()->named_parameters().find("layer3.5.conv1.weight") != nullptr);
  CHECK(r34->ptr()->named_parameters().find("layer3.6.conv1.weight") == nullptr);
}

TEST_CASE("ResNets map [N, 3, H, W] to [N, num_classes]", "[plugin][torchvision][resnet]") {
  torch::NoGradGuard no_grad;
  for (const char* name : {"resnet18", "resnet50"}) {
    INFO(name);
    auto model = resnet(name, {{"num_classes", 7}});
    model->ptr()->eval();
    CHECK(model->forward(torch::rand({2, 3, 64, 64})).sizes() == torch::IntArrayRef({2, 7}));
  }
  auto zero_init = resnet("resnet18", {{"zero_init_residual", true}});
  const auto params = zero_init->ptr()->named_parameters();
  CHECK(torch::equal(params["layer2.1.bn2.weight"], torch::zeros({128})));
  CHECK(torch::equal(params["layer2.1.bn1.weight"], torch::ones({128})));
  CHECK(torch::equal(resnet("resnet50", {{"zero_init_residual", true}})->ptr()->named_parameters()["layer1.0.bn3.weight"],
                     torch::zeros({256})));
}

TEST_CASE("ResNets refuse pretrained weights and bad num_classes", "[plugin][torchvision][resnet]") {
  CHECK_THROWS_WITH(resnet("resnet18", {{"weights", "IMAGENET1K_V1"}}),
                    Catch::Contains("weights") && Catch::Contains("cannot be downloaded") &&
                        Catch::Contains("weights = null"));
  CHECK_THROWS_AS(resnet("resnet50", {{"weights", "DEFAULT"}}), ParamError);
  CHECK_THROWS_WITH(resnet("resnet34", {{"num_classes", 0}}), Catch::Contains("expected an integer >= 1, got 0"));
  CHECK_NOTHROW(resnet("resnet18", {{"weights", Value()}, {"progress", false}}));
}

TEST_CASE("ResNets match torchvision's architecture in Python: keys, seeded initialisation, forward",
          "[plugin][torchvision][resnet]") {
  for (const auto& [name, block, layers] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"resnet18", "BasicBlock", "[2, 2, 2, 2]"},
                                                                     {"resnet50", "Bottleneck", "[3, 4, 6, 3]"}}) {
    INFO(name);
    auto reference = lighter::test::python_numbers(python_resnet(block, layers, 10));
    if (!reference) return;
    torch::manual_seed(7);
    auto model = resnet(name, {{"num_classes", 10}});
    model->ptr()->eval();
    std::vector<double> ours;
    for (const auto& entries : {model->ptr()->named_parameters(), model->ptr()->named_buffers()})
      for (const auto& entry : entries) {
        ours.push_back(static_cast<double>(key_hash(entry.key())));
        ours.push_back(static_cast<double>(entry.value().numel()));
        ours.push_back(entry.value().to(torch::kDouble).sum().item<double>());
      }
    torch::manual_seed(8);
    torch::NoGradGuard no_grad;
    const torch::Tensor out = model->forward(torch::rand({2, 3, 64, 64})).flatten();
    REQUIRE(reference->size() == ours.size() + 20);
    for (size_t i = 0; i < ours.size(); i += 3) {
      INFO("entry " << i / 3);
      CHECK(ours[i] == (*reference)[i]);
      CHECK(ours[i + 1] == (*reference)[i + 1]);
      CHECK(ours[i + 2] == Approx((*reference)[i + 2]).epsilon(1e-6).margin(1e-6));
    }
    for (int64_t i = 0; i < 20; ++i)
      CHECK(out[i].item<double>() == Approx((*reference)[ours.size() + i]).epsilon(1e-4).margin(1e-5));
  }
}
