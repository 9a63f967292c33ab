// Trainer semantics on tiny synthetic data, through the real built-in plugins.
#include "engine/trainer.hpp"  // torch first: glog's CHECK must not replace Catch's
#undef CHECK

#include <catch2/catch.hpp>

#include <limits>

#include "build/builder.hpp"
#include "config/compose.hpp"
#include "config/parse.hpp"
#include "plugins/discovery.hpp"

using namespace lighter;
using namespace lighter::host;

namespace {

// Counts hooks and records what the trainer did.
struct Recorder : Callback {
  int64_t train_batches = 0, optimizer_steps = 0, validations = 0, sanity_validations = 0, train_epochs = 0;
  std::vector<int64_t> validation_steps;  // global step at each validation (not sanity)
  double max_grad_norm = 0;
  void on_train_batch_end(Trainer&, Model&, const Dict&, const Dict&, int64_t) override { ++train_batches; }
  void on_before_zero_grad(Trainer&, Model& model, torch::optim::Optimizer&) override {
    ++optimizer_steps;
    double sq = 0;
    for (const auto& p : model.module().parameters())
      if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
    max_grad_norm = std::max(max_grad_norm, std::sqrt(sq));
  }
  void on_validation_end(Trainer& trainer, Model&) override {
    if (trainer.sanity_checking()) ++sanity_validations;
    else {
      ++validations;
      validation_steps.push_back(trainer.global_step());
    }
  }
  void on_train_epoch_end(Trainer&, Model&) override { ++train_epochs; }
};

const char* kBase = R"(
[trainer]
max_epochs = 2
enable_progress_bar = false
enable_checkpointing = false
logger = false
callbacks = [{ _target_ = "test.Recorder" }]
[model]
_target_ = "lighter.SupervisedModule"
network = { _target_ = "torch.nn.Linear", in_features = 4, out_features = 3 }
criterion = { _target_ = "torch.nn.CrossEntropyLoss" }
optimizer = { _target_ = "torch.optim.SGD", lr = 0.5 }
[data]
_target_ = "lighter.LighterDataModule"
train_dataloader = { _target_ = "torch.utils.data.DataLoader", batch_size = 10, dataset = { _target_ = "lighter.datasets.Synthetic", num_samples = 80, num_features = 4, num_classes = 3 } }
val_dataloader = { _target_ = "torch.utils.data.DataLoader", batch_size = 10, dataset = { _target_ = "lighter.datasets.Synthetic", num_samples = 40, num_features = 4, num_classes = 3, seed = 1 } }
)";

// A cross-entropy loss that turns NaN on its `nan_at`-th call (counting from 0).
struct NanAtImpl : torch::nn::Module {
  explicit NanAtImpl(int64_t at) : nan_at(at) {}
  torch::Tensor forward(const torch::Tensor& output, const torch::Tensor& target) {
    torch::Tensor loss = torch::nn::functional::cross_entropy(output, target);
    return calls++ == nan_at ? loss * std::numeric_limits<double>::quiet_NaN() : loss;
  }
  int64_t nan_at, calls = 0;
};
TORCH_MODULE(NanAt);

struct Run {
  std::shared_ptr<Recorder> recorder;
  std::shared_ptr<PlTrainer> trainer;
  std::shared_ptr<Model> model;
};

// Fits the base config composed with `overlay` (a TOML text, merged like a second file);
// a bare line list is taken as [trainer] keys.
Run fit(std::string overlay = "") {
  if (!overlay.empty() && overlay[0] != '[') overlay = "[trainer]\n" + overlay;
  static ComponentRegistry registry = [] {
    std::vector<PluginSource> sources;
    for (auto& file : builtin_plugin_files(LIGHTER_HOST_PATH)) sources.push_back({file, ""});
    ComponentRegistry r = load_registry(sources);
    r.add_builtin(trainer_component());
    ComponentInfo recorder;
    recorder.name = "test.Recorder";
    recorder.kind = Kind::Callback;
    recorder.factory = [](const Args&) { return std::make_shared<Recorder>(); };
    r.add_builtin(recorder);
    ComponentInfo nan_at;
    nan_at.name = "test.NanAt";
    nan_at.kind = Kind::Module;
    nan_at.params = {param::integer("at", 0, "the call that returns NaN")};
    nan_at.factory = [](const Args& a) { return make_module(NanAt(a.get<int64_t>("at"))); };
    r.add_builtin(nan_at);
    return r;
  }();
  torch::manual_seed(0);
  cfg::Node root = cfg::parse_string(kBase, "run.toml");
  cfg::merge_into(root, cfg::parse_string(overlay, "overlay.toml"));
  Builder builder(root, registry);
  auto model = std::dynamic_pointer_cast<Model>(builder.build("model", Kind::Model));
  auto trainer = std::dynamic_pointer_cast<PlTrainer>(builder.build("trainer", Kind::Trainer, "pytorch_lightning.Trainer"));
  auto data = std::dynamic_pointer_cast<DataModule>(builder.build("data", Kind::DataModule));
  trainer->fit(*model, *data);
  return {std::dynamic_pointer_cast<Recorder>(trainer->options().callbacks.at(0)), trainer, model};
}

}  // namespace

TEST_CASE("one optimizer step per batch, per epoch, with sanity validation first") {
  auto run = fit();
  CHECK(run.recorder->train_batches == 16);
  CHECK(run.recorder->optimizer_steps == 16);
  CHECK(run.trainer->global_step() == 16);
  CHECK(run.recorder->sanity_validations == 1);
  CHECK(run.recorder->validations == 2);
  CHECK(run.recorder->validation_steps == std::vector<int64_t>{8, 16});
  CHECK(run.recorder->train_epochs == 2);
}

TEST_CASE("gradient accumulation steps once per N batches and at the epoch's end") {
  auto run = fit("accumulate_grad_batches = 3");
  CHECK(run.recorder->train_batches == 16);
  CHECK(run.trainer->global_step() == 6);  // 8 batches -> steps after 3, 6 and 8
}

TEST_CASE("limit_train_batches as a count and as a fraction") {
  CHECK(fit("limit_train_batches = 3").recorder->train_batches == 6);
  CHECK(fit("limit_train_batches = 0.5").recorder->train_batches == 8);
  auto no_val = fit("limit_val_batches = 0");
  CHECK(no_val.recorder->validations == 0);
}

TEST_CASE("max_steps stops mid-epoch") {
  auto run = fit("max_steps = 5\nmax_epochs = -1");
  CHECK(run.trainer->global_step() == 5);
  CHECK(run.recorder->train_batches == 5);
}

TEST_CASE("max_steps = 0 trains nothing") {
  auto run = fit("max_steps = 0\nmax_epochs = -1");
  CHECK(run.trainer->global_step() == 0);
  CHECK(run.recorder->train_batches == 0);
}

TEST_CASE("validation cadence: check_val_every_n_epoch and val_check_interval") {
  auto every_second = fit("max_epochs = 4\ncheck_val_every_n_epoch = 2");
  CHECK(every_second.recorder->validation_steps == std::vector<int64_t>{16, 32});
  auto quarter = fit("max_epochs = 1\nval_check_interval = 0.25");
  CHECK(quarter.recorder->validation_steps == std::vector<int64_t>{2, 4, 6, 8});
  auto every_three = fit("max_epochs = 1\nval_check_interval = 3");
  CHECK(every_three.recorder->validation_steps == std::vector<int64_t>{3, 6});
  auto no_sanity = fit("num_sanity_val_steps = 0");
  CHECK(no_sanity.recorder->sanity_validations == 0);
}

TEST_CASE("fast_dev_run runs one batch of each loop and one epoch") {
  auto run = fit("fast_dev_run = true\nmax_epochs = 5");
  CHECK(run.recorder->train_batches == 1);
  CHECK(run.recorder->validations == 1);
  CHECK(run.recorder->sanity_validations == 0);
  CHECK(fit("fast_dev_run = 3").recorder->train_batches == 3);
}

TEST_CASE("gradient clipping bounds the norm the optimizer sees") {
  auto unclipped = fit("max_epochs = 1");
  REQUIRE(unclipped.recorder->max_grad_norm > 0.05);
  auto clipped = fit("max_epochs = 1\ngradient_clip_val = 0.05");
  CHECK(clipped.recorder->max_grad_norm <= Approx(0.05).epsilon(1e-4));
  auto by_value = fit("max_epochs = 1\ngradient_clip_val = 0.001\ngradient_clip_algorithm = \"value\"");
  CHECK(by_value.recorder->max_grad_norm <= 0.001 * std::sqrt(15.0) + 1e-9);  // 15 parameters, each |g| <= 0.001
}

TEST_CASE("early stopping stops at the right epoch") {
  // lr = 0: the validation loss never improves on epoch 0's, so patience 2 stops after epoch 2.
  const std::string frozen = "[model.optimizer]\nlr = 0.0\n[trainer]\nmax_epochs = 10\n";
  CHECK(fit(frozen).trainer->current_epoch() == 10);
  auto run = fit(frozen +
                 "callbacks = [{ _target_ = \"pytorch_lightning.callbacks.EarlyStopping\", monitor = \"val/loss/epoch\", patience = 2 }]");
  CHECK(run.recorder->train_epochs == 3);
  CHECK(run.trainer->current_epoch() == 3);
}

TEST_CASE("a non-finite loss stops the run naming the step, unless skip_nonfinite_grad skips it") {
  const std::string nan_at_3 = "[model.criterion]\n_target_ = \"test.NanAt\"\nat = 3\n"
                               "[trainer]\nnum_sanity_val_steps = 0\nlimit_val_batches = 0\nmax_epochs = 1\n";
  CHECK_THROWS_WITH(fit(nan_at_3), Catch::Contains("lighter.SupervisedModule.training_step returned a non-finite loss "
                                                   "(nan) at epoch 0, batch 3 (global step 3)") &&
                                       Catch::Contains("trainer::skip_nonfinite_grad = true"));
  auto skipped = fit(nan_at_3 + "skip_nonfinite_grad = true\n");
  CHECK(skipped.recorder->train_batches == 8);
  CHECK(skipped.trainer->global_step() == 7);  // batch 3's step was skipped
  CHECK(skipped.recorder->optimizer_steps == 7);
  for (const auto& p : skipped.model->module().parameters()) CHECK(torch::isfinite(p).all().item<bool>());
}

TEST_CASE("clipping by norm logs the gradient norm as train/grad_norm/step") {
  auto clipped = fit("max_epochs = 1\nlog_every_n_steps = 1\ngradient_clip_val = 0.05");
  REQUIRE(clipped.trainer->callback_metrics().count("train/grad_norm/step") == 1);
  CHECK(clipped.trainer->callback_metrics().at("train/grad_norm/step") > 0.05);  // the norm before clipping
  auto unclipped = fit("max_epochs = 1");
  CHECK(unclipped.trainer->callback_metrics().count("train/grad_norm/step") == 0);
}

TEST_CASE("a MetricCollection logs each metric under its key in a table, or its class name in a list") {
  const std::string metric = "{ _target_ = \"torchmetrics.Accuracy\", task = \"multiclass\", num_classes = 3 }";
  const std::string f1 = "{ _target_ = \"torchmetrics.F1Score\", task = \"multiclass\", num_classes = 3 }";
  auto named = fit("[model.val_metrics]\n_target_ = \"torchmetrics.MetricCollection\"\nmetrics = { acc = " + metric +
                   ", f1 = " + f1 + " }\n[trainer]\nmax_epochs = 1\n");
  const auto& logged = named.trainer->callback_metrics();
  CHECK(logged.count("val/metrics/acc/epoch") == 1);
  CHECK(logged.count("val/metrics/f1/epoch") == 1);
  CHECK(logged.count("val/metrics/Accuracy/epoch") == 0);
  auto listed = fit("[model.val_metrics]\n_target_ = \"torchmetrics.MetricCollection\"\nmetrics = [" + metric + ", " + f1 +
                    "]\n[trainer]\nmax_epochs = 1\n");
  CHECK(listed.trainer->callback_metrics().count("val/metrics/Accuracy/epoch") == 1);
  CHECK(listed.trainer->callback_metrics().count("val/metrics/F1Score/epoch") == 1);
}

TEST_CASE("logged tensors: CPU values are read at once and sum exactly as numbers; read_values reads all at once") {
  LogStore numbers, tensors;
  const LogOptions both{true, true, false, 4};
  for (double v : {0.25, 1.5, -3.125}) {
    numbers.log("loss", v, both, LogStore::Train);
    tensors.log("loss", torch::tensor(static_cast<float>(v)), both, LogStore::Train);
  }
  CHECK(tensors.take_step_values().at("loss").number == -3.125);  // read already: no tensor kept
  CHECK(tensors.callback_metrics().at("loss") == numbers.callback_metrics().at("loss"));
  CHECK(tensors.finish_epoch(LogStore::Train) == numbers.finish_epoch(LogStore::Train));
  CHECK_THROWS_WITH(tensors.log("loss", torch::ones({2}), both, LogStore::Train), Catch::Contains("a single value"));

  LoggedValues mixed;
  mixed["a"] = LoggedValue{2.0, {}};
  mixed["b"] = LoggedValue{0, torch::tensor(0.5f)};
  mixed["c"] = LoggedValue{0, torch::tensor({7}, torch::kLong)};
  const auto read = read_values(mixed);
  CHECK(read == std::map<std::string, double>{{"a", 2.0}, {"b", 0.5}, {"c", 7.0}});
}
