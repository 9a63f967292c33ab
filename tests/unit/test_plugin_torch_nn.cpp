// The torch.nn plugin: layers match libtorch's, Sequential runs `_args_`, losses match
// torch::nn::functional.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/module.hpp>

namespace F = torch::nn::functional;
using lighter::Module;
using lighter::ParamError;
using lighter::Value;
using Array = lighter::Value::Array;

namespace {
const lighter::test::PluginHarness& nn() { return lighter::test::plugin(LIGHTER_PLUGIN_TORCH_NN); }

std::shared_ptr<Module> build(const std::string& name, Value::Table values = {}) {
  return nn().make<Module>(name, std::move(values));
}

std::vector<std::string> parameter_names(const Module& m) {
  std::vector<std::string> names;
  for (const auto& item : m.ptr()->named_parameters()) names.push_back(item.key());
  return names;
}
}  // namespace

TEST_CASE("torch_nn registers the torch.nn layers and losses as modules", "[plugin][torch_nn]") {
  for (const char* name :
       {"torch.nn.Sequential", "torch.nn.Linear", "torch.nn.Conv1d", "torch.nn.Conv2d", "torch.nn.BatchNorm1d",
        "torch.nn.BatchNorm2d", "torch.nn.LayerNorm", "torch.nn.Dropout", "torch.nn.Dropout2d", "torch.nn.ReLU",
        "torch.nn.GELU", "torch.nn.SiLU", "torch.nn.Tanh", "torch.nn.Sigmoid", "torch.nn.Softmax",
        "torch.nn.LeakyReLU", "torch.nn.MaxPool2d", "torch.nn.AvgPool2d", "torch.nn.AdaptiveAvgPool2d",
        "torch.nn.Flatten", "torch.nn.Identity", "torch.nn.Embedding", "torch.nn.CrossEntropyLoss",
        "torch.nn.MSELoss", "torch.nn.L1Loss", "torch.nn.SmoothL1Loss", "torch.nn.BCEWithLogitsLoss",
        "torch.nn.NLLLoss"}) {
    INFO(name);
    CHECK(nn().info(name).kind == lighter::Kind::Module);
  }
  CHECK(nn().info("torch.nn.Sequential").positional.has_value());
}

TEST_CASE("Linear has libtorch's parameters and output", "[plugin][torch_nn]") {
  auto linear = build("torch.nn.Linear", {{"in_features", 4}, {"out_features", 3}});
  CHECK(parameter_names(*linear) == std::vector<std::string>{"weight", "bias"});
  auto params = linear->ptr()->named_parameters();
  CHECK(params["weight"].sizes() == torch::IntArrayRef({3, 4}));
  torch::Tensor x = torch::randn({2, 4});
  CHECK(torch::allclose(linear->forward(x), F::linear(x, params["weight"], params["bias"])));

  auto no_bias = build("torch.nn.Linear", {{"in_features", 4}, {"out_features", 3}, {"bias", false}});
  CHECK(parameter_names(*no_bias) == std::vector<std::string>{"weight"});
  CHECK_THROWS_AS(build("torch.nn.Linear", {{"in_features", 4}}), ParamError);
}

TEST_CASE("Conv2d takes int or [h, w] sizes and matches libtorch", "[plugin][torch_nn]") {
  auto conv = build("torch.nn.Conv2d", {{"in_channels", 2},
                                        {"out_channels", 5},
                                        {"kernel_size", Array{3, 5}},
                                        {"stride", 2},
                                        {"padding", Array{1, 2}}});
  torch::nn::Conv2d reference(torch::nn::Conv2dOptions(2, 5, {3, 5}).stride(2).padding({1, 2}));
  auto params = conv->ptr()->named_parameters();
  CHECK(params["weight"].sizes() == reference->weight.sizes());
  CHECK(params["bias"].sizes() == reference->bias.sizes());
  torch::Tensor x = torch::randn({1, 2, 9, 11});
  torch::Tensor y = conv->forward(x);
  CHECK(y.sizes() == reference->forward(x).sizes());
  auto options = F::Conv2dFuncOptions().bias(params["bias"]).stride(2).padding(std::vector<int64_t>{1, 2});
  CHECK(torch::allclose(y, F::conv2d(x, params["weight"], options)));

  auto same = build("torch.nn.Conv2d", {{"in_channels", 1}, {"out_channels", 1}, {"kernel_size", 3}, {"padding", "same"}});
  CHECK(same->forward(torch::randn({1, 1, 7, 6})).sizes() == torch::IntArrayRef({1, 1, 7, 6}));
}

TEST_CASE("Conv2d rejects malformed sizes with the key's name", "[plugin][torch_nn]") {
  Value::Table base{{"in_channels", 2}, {"out_channels", 4}};
  auto with = [&](const char* key, Value v) {
    auto t = base;
    if (std::string(key) != "kernel_size") t.emplace_back("kernel_size", 3);
    t.emplace_back(key, std::move(v));
    return t;
  };
  CHECK_THROWS_WITH(build("torch.nn.Conv2d", with("kernel_size", Array{3})), Catch::Contains("kernel_size"));
  CHECK_THROWS_WITH(build("torch.nn.Conv2d", with("kernel_size", Array{3, "a"})), Catch::Contains("kernel_size"));
  CHECK_THROWS_WITH(build("torch.nn.Conv2d", with("kernel_size", 0)), Catch::Contains(">= 1"));
  CHECK_THROWS_WITH(build("torch.nn.Conv2d", with("padding", "full")), Catch::Contains("'same' or 'valid'"));
  CHECK_THROWS_WITH(build("torch.nn.Conv2d", with("groups", 3)), Catch::Contains("divisible by groups"));
  auto strided_same = with("padding", "same");
  strided_same.emplace_back("stride", 2);
  CHECK_THROWS_WITH(build("torch.nn.Conv2d", strided_same), Catch::Contains("stride 1"));
}

TEST_CASE("Conv1d output shape", "[plugin][torch_nn]") {
  auto conv = build("torch.nn.Conv1d", {{"in_channels", 3}, {"out_channels", 4}, {"kernel_size", 3}, {"dilation", 2}});
  CHECK(conv->forward(torch::randn({2, 3, 10})).sizes() == torch::IntArrayRef({2, 4, 6}));
}

TEST_CASE("Sequential runs its _args_ in order with Python's parameter names", "[plugin][torch_nn]") {
  auto first = build("torch.nn.Linear", {{"in_features", 4}, {"out_features", 8}});
  auto relu = build("torch.nn.ReLU");
  auto second = build("torch.nn.Linear", {{"in_features", 8}, {"out_features", 2}});
  auto seq = nn().make<Module>("torch.nn.Sequential", {}, {}, {{"_args_", {first, relu, second}}});
  CHECK(parameter_names(*seq) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  torch::Tensor x = torch::randn({3, 4});
  CHECK(torch::allclose(seq->forward(x), second->forward(torch::relu(first->forward(x)))));
  // The layers are shared, not copied: a reference (`@model::network::0`) sees the same weights.
  CHECK(seq->ptr()->named_parameters()["0.weight"].data_ptr() == first->ptr()->named_parameters()["weight"].data_ptr());
}

TEST_CASE("pools: stride follows kernel_size unless given", "[plugin][torch_nn]") {
  torch::Tensor x = torch::arange(16, torch::kFloat).reshape({1, 1, 4, 4});
  auto max_pool = build("torch.nn.MaxPool2d", {{"kernel_size", 2}});
  CHECK(torch::equal(max_pool->forward(x), F::max_pool2d(x, F::MaxPool2dFuncOptions(2))));
  auto overlapping = build("torch.nn.MaxPool2d", {{"kernel_size", 2}, {"stride", 1}});
  CHECK(overlapping->forward(x).sizes() == torch::IntArrayRef({1, 1, 3, 3}));
  auto avg_pool = build("torch.nn.AvgPool2d", {{"kernel_size", Array{2, 4}}});
  CHECK(torch::allclose(avg_pool->forward(x), F::avg_pool2d(x, F::AvgPool2dFuncOptions({2, 4}))));
  auto adaptive = build("torch.nn.AdaptiveAvgPool2d", {{"output_size", Array{2, 1}}});
  CHECK(adaptive->forward(torch::randn({2, 3, 7, 5})).sizes() == torch::IntArrayRef({2, 3, 2, 1}));
  CHECK_THROWS_WITH(build("torch.nn.MaxPool2d", {{"kernel_size", 2}, {"padding", 2}}), Catch::Contains("half"));
  auto dilated = build("torch.nn.MaxPool2d", {{"kernel_size", 3}, {"dilation", 2}, {"padding", 1}});
  CHECK(torch::equal(dilated->forward(x), F::max_pool2d(x, F::MaxPool2dFuncOptions(3).dilation(2).padding(1))));
}

TEST_CASE("normalisation layers", "[plugin][torch_nn]") {
  auto bn1 = build("torch.nn.BatchNorm1d", {{"num_features", 3}});
  CHECK(parameter_names(*bn1) == std::vector<std::string>{"weight", "bias"});
  CHECK(bn1->ptr()->named_buffers().contains("running_mean"));
  auto bn2 = build("torch.nn.BatchNorm2d", {{"num_features", 2}, {"affine", false}, {"momentum", Value()}});
  CHECK(parameter_names(*bn2).empty());
  torch::Tensor x = torch::randn({4, 2, 3, 3});
  CHECK(torch::allclose(bn2->forward(x), F::batch_norm(x, torch::Tensor(), torch::Tensor(),
                                                       F::BatchNormFuncOptions().training(true)),
                        1e-4, 1e-5));
  auto ln = build("torch.nn.LayerNorm", {{"normalized_shape", Array{2, 3}}});
  CHECK(ln->ptr()->named_parameters()["weight"].sizes() == torch::IntArrayRef({2, 3}));
  torch::Tensor y = torch::randn({5, 2, 3});
  CHECK(torch::allclose(ln->forward(y), F::layer_norm(y, F::LayerNormFuncOptions({2, 3})), 1e-4, 1e-5));
  auto ln_int = build("torch.nn.LayerNorm", {{"normalized_shape", 4}});
  CHECK(ln_int->forward(torch::randn({2, 4})).sizes() == torch::IntArrayRef({2, 4}));
}

TEST_CASE("Embedding looks up long indices", "[plugin][torch_nn]") {
  auto embedding = build("torch.nn.Embedding", {{"num_embeddings", 10}, {"embedding_dim", 3}, {"padding_idx", 0}});
  torch::Tensor idx = torch::tensor({{1, 0, 9}, {2, 2, 3}}, torch::kLong);
  torch::Tensor out = embedding->forward(idx);
  CHECK(out.sizes() == torch::IntArrayRef({2, 3, 3}));
  torch::Tensor weight = embedding->ptr()->named_parameters()["weight"];
  CHECK(torch::equal(out[0][2], weight[9]));
  CHECK(torch::equal(out[0][1], torch::zeros({3})));  // padding_idx row starts at zero
}

TEST_CASE("activations, dropout and shape layers", "[plugin][torch_nn]") {
  torch::Tensor x = torch::randn({3, 4});
  CHECK(torch::allclose(build("torch.nn.Softmax")->forward(x), torch::softmax(x, 1)));
  CHECK(torch::allclose(build("torch.nn.Softmax", {{"dim", 0}})->forward(x), torch::softmax(x, 0)));
  CHECK(torch::allclose(build("torch.nn.GELU", {{"approximate", "tanh"}})->forward(x), torch::gelu(x, "tanh")));
  CHECK(torch::allclose(build("torch.nn.LeakyReLU", {{"negative_slope", 0.2}})->forward(x), torch::leaky_relu(x, 0.2)));
  CHECK(torch::allclose(build("torch.nn.SiLU")->forward(x), torch::silu(x)));
  CHECK(torch::allclose(build("torch.nn.Tanh")->forward(x), torch::tanh(x)));
  CHECK(torch::allclose(build("torch.nn.Sigmoid")->forward(x), torch::sigmoid(x)));
  CHECK_THROWS_AS(build("torch.nn.GELU", {{"approximate", "fast"}}), ParamError);

  auto dropout = build("torch.nn.Dropout", {{"p", 0.5}});
  dropout->ptr()->eval();
  CHECK(torch::equal(dropout->forward(x), x));
  dropout->ptr()->train();
  CHECK((dropout->forward(torch::ones({1000})) == 0).sum().item<int64_t>() > 300);
  CHECK_THROWS_WITH(build("torch.nn.Dropout", {{"p", 1.5}}), Catch::Contains("probability"));
  auto dropout2d = build("torch.nn.Dropout2d", {{"p", 1.0}});
  CHECK(torch::equal(dropout2d->forward(torch::ones({2, 3, 4, 4})), torch::zeros({2, 3, 4, 4})));

  CHECK(build("torch.nn.Flatten")->forward(torch::randn({2, 3, 4})).sizes() == torch::IntArrayRef({2, 12}));
  CHECK(build("torch.nn.Flatten", {{"start_dim", 0}})->forward(torch::randn({2, 3})).sizes() ==
        torch::IntArrayRef({6}));
  CHECK(torch::equal(build("torch.nn.Identity")->forward(x), x));
}

TEST_CASE("losses match torch::nn::functional", "[plugin][torch_nn]") {
  torch::manual_seed(0);
  torch::Tensor logits = torch::randn({6, 3});
  torch::Tensor classes = torch::tensor({0, 2, 1, 1, -100, 2}, torch::kLong);

  auto ce = build("torch.nn.CrossEntropyLoss",
                  {{"weight", Array{1.0, 2.0, 0.5}}, {"label_smoothing", 0.1}, {"reduction", "sum"}});
  auto ce_expected = F::cross_entropy(logits, classes, F::CrossEntropyFuncOptions()
                                                           .weight(torch::tensor({1.0f, 2.0f, 0.5f}))
                                                           .label_smoothing(0.1)
                                                           .reduction(torch::kSum));
  CHECK(torch::allclose(ce->forward(logits, classes), ce_expected));
  auto ce_ignore = build("torch.nn.CrossEntropyLoss", {{"ignore_index", 1}});
  CHECK(torch::allclose(ce_ignore->forward(logits, classes.clamp_min(0)),
                        F::cross_entropy(logits, classes.clamp_min(0), F::CrossEntropyFuncOptions().ignore_index(1))));

  torch::Tensor log_probs = torch::log_softmax(logits, 1);
  CHECK(torch::allclose(build("torch.nn.NLLLoss")->forward(log_probs, classes), F::nll_loss(log_probs, classes)));

  torch::Tensor a = torch::randn({4, 2}), b = torch::randn({4, 2});
  CHECK(torch::allclose(build("torch.nn.MSELoss")->forward(a, b), F::mse_loss(a, b)));
  CHECK(torch::allclose(build("torch.nn.MSELoss", {{"reduction", "none"}})->forward(a, b),
                        F::mse_loss(a, b, F::MSELossFuncOptions(torch::kNone))));
  CHECK(torch::allclose(build("torch.nn.L1Loss", {{"reduction", "sum"}})->forward(a, b),
                        F::l1_loss(a, b, F::L1LossFuncOptions(torch::kSum))));
  CHECK(torch::allclose(build("torch.nn.SmoothL1Loss", {{"beta", 0.5}})->forward(a, b),
                        F::smooth_l1_loss(a, b, F::SmoothL1LossFuncOptions(), 0.5)));

  torch::Tensor targets01 = (b > 0).to(torch::kFloat);
  auto bce = build("torch.nn.BCEWithLogitsLoss", {{"pos_weight", Array{3.0, 0.5}}});
  CHECK(torch::allclose(bce->forward(a, targets01),
                        F::binary_cross_entropy_with_logits(
                            a, targets01, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(torch::tensor({3.0f, 0.5f})))));
  CHECK_THROWS_AS(build("torch.nn.MSELoss", {{"reduction", "average"}}), ParamError);
  CHECK_THROWS_AS(build("torch.nn.SmoothL1Loss", {{"beta", -1.0}}), ParamError);
}
