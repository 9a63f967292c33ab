// lighter.SupervisedModule: step outputs, losses, metric updates, clear shape errors, and a
// small end-to-end fit through the data, nn and optim plugins.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>
#include <lighter/data.hpp>
#include <lighter/metric.hpp>
#include <lighter/model.hpp>

using lighter::Dict;
using lighter::Model;
using lighter::Module;
using lighter::ObjectPtr;
using lighter::Value;
namespace F = torch::nn::functional;

namespace {
const lighter::test::PluginHarness& models() { return lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_MODELS); }

class RecordingMetric : public lighter::Metric {
 public:
  void update(const torch::Tensor& preds, const torch::Tensor& target) override { updates.emplace_back(preds, target); }
  std::vector<std::pair<std::string, torch::Tensor>> forward(const torch::Tensor& preds, const torch::Tensor& target) override {
    update(preds, target);
    return {};
  }
  std::vector<std::pair<std::string, torch::Tensor>> compute() override { return {}; }
  void reset() override { updates.clear(); }
  std::vector<std::pair<torch::Tensor, torch::Tensor>> updates;
};

std::shared_ptr<Module> linear(int64_t in, int64_t out) { return lighter::make_module(torch::nn::Linear(in, out)); }

std::shared_ptr<Model> supervised(std::shared_ptr<Module> network, std::shared_ptr<Module> criterion,
                                  const std::string& task = "classification", lighter::test::Objects extra = {}) {
  extra["network"] = network;
  if (criterion) extra["criterion"] = criterion;
  return models().make<Model>("lighter.SupervisedModule", {{"task", task}}, extra);
}

Dict batch(int64_t n, int64_t features, torch::Tensor target) {
  return {{"input", torch::randn({n, features})}, {"target", std::move(target)}, {"id", torch::arange(n)}};
}
}  // namespace

TEST_CASE("classification steps return loss, pred, probs, target, input and id", "[plugin][lighter_models]") {
  auto network = linear(4, 3);
  auto metric = std::make_shared<RecordingMetric>();
  auto model = supervised(network, lighter::make_module(torch::nn::CrossEntropyLoss()), "classification",
                          {{"train_metrics", metric}});
  Dict b = batch(5, 4, torch::tensor({0., 2., 1., 1., 0.}));  // float labels are cast to long
  Dict out = model->training_step(b, 0);
  CHECK(out.keys() == std::vector<std::string>{"loss", "pred", "probs", "target", "input", "id"});
  torch::Tensor logits = network->forward(b.tensor("input"));
  torch::Tensor labels = torch::tensor({0, 2, 1, 1, 0}, torch::kLong);
  CHECK(torch::allclose(out.tensor("loss"), F::cross_entropy(logits, labels)));
  CHECK(out.tensor("loss").requires_grad());
  CHECK(torch::equal(out.tensor("pred"), logits.argmax(1)));
  CHECK(torch::allclose(out.tensor("probs"), torch::softmax(logits, 1)));
  CHECK(torch::equal(out.tensor("target"), labels));
  CHECK(torch::equal(out.tensor("id"), b.tensor("id")));
  REQUIRE(metric->updates.size() == 1);
  CHECK(torch::allclose(metric->updates[0].first, torch::softmax(logits, 1)));
  CHECK(torch::equal(metric->updates[0].second, labels));

  model->validation_step(b, 0);  // no val metrics configured: nothing recorded
  CHECK(metric->updates.size() == 1);
}

TEST_CASE("without metrics, classification pred and probs are computed only when read", "[plugin][lighter_models]") {
  auto network = linear(4, 3);
  auto model = supervised(network, lighter::make_module(torch::nn::CrossEntropyLoss()), "classification");
  Dict b = batch(5, 4, torch::tensor({0, 2, 1, 1, 0}));
  Dict out = model->training_step(b, 0);
  CHECK(out.keys() == std::vector<std::string>{"loss", "pred", "probs", "target", "input", "id"});
  torch::Tensor logits = network->forward(b.tensor("input")).detach();
  CHECK(torch::allclose(out.tensor("probs"), torch::softmax(logits, 1)));
  CHECK(torch::equal(out.tensor("pred"), logits.argmax(1)));
  CHECK_FALSE(out.tensor("probs").requires_grad());
}

TEST_CASE("regression reshapes the target to the prediction and uses the output as pred", "[plugin][lighter_models]") {
  auto network = linear(3, 1);
  auto model = supervised(network, lighter::make_module(torch::nn::MSELoss()), "regression");
  Dict b = batch(6, 3, torch::arange(6, torch::kDouble));
  Dict out = model->validation_step(b, 0);
  torch::Tensor pred = network->forward(b.tensor("input"));
  CHECK_FALSE(out.contains("probs"));
  CHECK(out.tensor("target").sizes() == torch::IntArrayRef({6, 1}));
  CHECK(out.tensor("target").scalar_type() == torch::kFloat);
  CHECK(torch::allclose(out.tensor("pred"), pred));
  CHECK(torch::allclose(out.tensor("loss"), F::mse_loss(pred, torch::arange(6, torch::kFloat).reshape({6, 1}))));
}

TEST_CASE("shape mismatches name the network output and target shapes", "[plugin][lighter_models]") {
  auto regression = supervised(linear(3, 2), lighter::make_module(torch::nn::MSELoss()), "regression");
  CHECK_THROWS_WITH(regression->training_step(batch(5, 3, torch::zeros({5})), 0),
                    Catch::Contains("[5, 2]") && Catch::Contains("[5]"));

  auto classification = supervised(linear(3, 4), lighter::make_module(torch::nn::CrossEntropyLoss()));
  try {
    classification->training_step(batch(5, 3, torch::zeros({5, 2}, torch::kLong)), 0);
    FAIL("expected a shape error");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("network output of shape [5, 4]") && Catch::Contains("target of shape [5, 2]"));
  }
}

TEST_CASE("predict_step has no loss, and no target when the batch has none", "[plugin][lighter_models]") {
  auto metric = std::make_shared<RecordingMetric>();
  auto model = supervised(linear(2, 3), nullptr, "classification", {{"test_metrics", metric}});
  Dict unlabeled{{"input", torch::randn({4, 2})}, {"id", torch::arange(4)}};
  Dict out = model->predict_step(unlabeled, 0);
  CHECK(out.keys() == std::vector<std::string>{"pred", "probs", "input", "id"});
  CHECK(model->predict_step(batch(4, 2, torch::zeros({4})), 0).contains("target"));

  // test_step without a criterion still scores the metrics, without a loss.
  Dict tested = model->test_step(batch(4, 2, torch::zeros({4})), 0);
  CHECK_FALSE(tested.contains("loss"));
  CHECK(metric->updates.size() == 1);
  // Training needs a criterion and a target.
  CHECK_THROWS_WITH(model->training_step(batch(4, 2, torch::zeros({4})), 0), Catch::Contains("criterion"));
  CHECK_THROWS_WITH(model->training_step(unlabeled, 0), Catch::Contains("target"));
}

TEST_CASE("SupervisedModule declares LighterModule's parameters plus task", "[plugin][lighter_models]") {
  const auto& info = models().info("lighter.SupervisedModule");
  std::vector<std::string> names;
  for (const auto& p : info.params) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"network", "criterion", "optimizer", "scheduler", "train_metrics",
                                          "val_metrics", "test_metrics", "task"});
  CHECK_THROWS_AS(models().build("lighter.SupervisedModule", {{"task", "ranking"}}, {{"network", linear(1, 1)}}),
                  lighter::ParamError);
  CHECK_THROWS_AS(models().build("lighter.SupervisedModule"), lighter::ParamError);  // network is required
}

TEST_CASE("a Synthetic task trains to well above chance through all built-in plugins", "[plugin][lighter_models]") {
  const auto& nn = lighter::test::plugin(LIGHTER_PLUGIN_TORCH_NN);
  const auto& optim = lighter::test::plugin(LIGHTER_PLUGIN_TORCH_OPTIM);
  const auto& data = lighter::test::plugin(LIGHTER_PLUGIN_LIGHTER_DATA);
  auto dataset = [&](int64_t seed) {
    return data.build("lighter.datasets.Synthetic",
                      {{"num_samples", 256}, {"num_features", 8}, {"num_classes", 4}, {"seed", seed}});
  };
  auto train = data.make<lighter::DataLoader>("torch.utils.data.DataLoader",
                                              {{"batch_size", 32}, {"shuffle", true}, {"seed", 0}},
                                              {{"dataset", dataset(0)}});
  auto val = data.make<lighter::DataLoader>("torch.utils.data.DataLoader", {{"batch_size", 64}},
                                            {{"dataset", dataset(1)}});
  ObjectPtr hidden = nn.build("torch.nn.Linear", {{"in_features", 8}, {"out_features", 16}});
  ObjectPtr network = nn.build("torch.nn.Sequential", {}, {},
                               {{"_args_", {hidden, nn.build("torch.nn.ReLU"),
                                            nn.build("torch.nn.Linear", {{"in_features", 16}, {"out_features", 4}})}}});
  auto model = models().make<lighter::LighterModule>(
      "lighter.SupervisedModule", {},
      {{"network", network},
       {"criterion", nn.build("torch.nn.CrossEntropyLoss")},
       {"optimizer", optim.build("torch.optim.Adam", {{"lr", 0.01}}, {{"params", hidden}})}});

  // `params` restricts the optimizer to the hidden layer's weight and bias.
  auto setup = model->configure_optimizers();
  REQUIRE(setup.optimizer->param_groups()[0].params().size() == 2);
  CHECK(setup.optimizer->param_groups()[0].params()[0].data_ptr() ==
        std::dynamic_pointer_cast<Module>(hidden)->ptr()->parameters()[0].data_ptr());
  CHECK(setup.name == "Adam");

  // Train everything (Adam over all parameters) for a few epochs, then score the val split.
  auto full = optim.make<lighter::Optimizer>("torch.optim.Adam", {{"lr", 0.01}});
  auto optimizer = full->create(model->module().parameters());
  for (int64_t e = 0; e < 5; ++e) {
    train->start_epoch(e);
    while (auto b = train->next()) {
      optimizer->zero_grad();
      model->training_step(*b, 0).tensor("loss").backward();
      optimizer->step();
    }
  }
  torch::NoGradGuard no_grad;
  int64_t correct = 0, total = 0;
  val->start_epoch(0);
  while (auto b = val->next()) {
    Dict out = model->validation_step(*b, 0);
    correct += out.tensor("pred").eq(out.tensor("target")).sum().item<int64_t>();
    total += out.tensor("target").numel();
  }
  CHECK(total == 256);
  CHECK(static_cast<double>(correct) / total > 0.8);  // chance is 0.25
}
