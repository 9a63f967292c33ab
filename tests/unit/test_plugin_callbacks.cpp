// Lightning's callbacks driven through a fake trainer: which checkpoint files ModelCheckpoint
// keeps, when EarlyStopping stops, what LearningRateMonitor logs, and that their state survives
// a checkpoint round trip.
#include "support/plugin_harness.hpp"  // first: it tames libtorch's CHECK macro for Catch

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "support/fake_trainer.hpp"

using lighter::Callback;
using lighter::Dict;
using lighter::ParamError;
using lighter::Value;
using lighter::test::FakeModel;
using lighter::test::FakeTrainer;
using lighter::test::file_names;
using lighter::test::read_text;
using lighter::test::TempDir;
using Strings = std::vector<std::string>;

namespace {
std::shared_ptr<Callback> make(const std::string& name, Value::Table values = {}) {
  return lighter::test::plugin(LIGHTER_PLUGIN_LIGHTNING_CALLBACKS).make<Callback>(name, std::move(values));
}
std::shared_ptr<Callback> checkpoint(Value::Table values = {}) {
  return make("pytorch_lightning.callbacks.ModelCheckpoint", std::move(values));
}
std::shared_ptr<Callback> early_stopping(Value::Table values) {
  return make("pytorch_lightning.callbacks.EarlyStopping", std::move(values));
}

// A fit in a temp run directory; each epoch() call is one training epoch of 10 steps whose
// (optional) validation loop ends with `metrics` in callback_metrics.
struct Fit {
  explicit Fit(std::shared_ptr<Callback> cb, const std::string& name = "lighter-callbacks") : dir(name), callback(std::move(cb)) {
    trainer.run_dir = dir.path() / "version_0";
    callback->setup(trainer, model, "fit");
  }
  void epoch(std::map<std::string, double> metrics, bool validate = true) {
    trainer.step += 10;
    trainer.metrics = std::move(metrics);
    callback->on_train_epoch_start(trainer, model);
    if (validate) callback->on_validation_end(trainer, model);
    callback->on_train_epoch_end(trainer, model);
    ++trainer.epoch;
  }
  void epochs(const std::string& key, const std::vector<double>& values) {
    for (double v : values) epoch({{key, v}});
  }
  std::filesystem::path ckpts() const { return trainer.run_dir / "checkpoints"; }
  std::string content(const std::string& file) const { return read_text(ckpts() / file); }

  TempDir dir;
  FakeTrainer trainer;
  FakeModel model;
  std::shared_ptr<Callback> callback;
};

Dict best_k_of(const Callback& cb) { return Dict::from_ivalue(cb.state_dict().at("best_k_models")); }
}  // namespace

TEST_CASE("ModelCheckpoint defaults keep the latest epoch=E-step=S file, last.ckpt and best.ckpt", "[callbacks][checkpoint]") {
  Fit fit(checkpoint());
  fit.epoch({}, false);
  fit.epoch({}, false);
  CHECK(file_names(fit.ckpts()) == Strings{"best.ckpt", "epoch=1-step=20.ckpt", "last.ckpt"});
  CHECK(fit.content("epoch=1-step=20.ckpt") == FakeTrainer::marker(1, 20));
  CHECK(fit.content("last.ckpt") == FakeTrainer::marker(1, 20));
  CHECK(fit.content("best.ckpt") == FakeTrainer::marker(1, 20));
}

TEST_CASE("ModelCheckpoint keeps the top k by a monitor, lowest first in min mode", "[callbacks][checkpoint]") {
  Fit fit(checkpoint({{"monitor", "val/loss"}, {"save_top_k", 2}}));
  fit.epochs("val/loss", {0.5, 0.3, 0.4, 0.2, 0.6});
  CHECK(file_names(fit.ckpts()) == Strings{"best.ckpt", "epoch=1-step=20.ckpt", "epoch=3-step=40.ckpt", "last.ckpt"});
  CHECK(fit.content("best.ckpt") == FakeTrainer::marker(3, 40));
  CHECK(fit.content("last.ckpt") == FakeTrainer::marker(4, 50));
  const Dict state = fit.callback->state_dict();
  CHECK(state.at("best_model_path").toStringRef() == (fit.ckpts() / "epoch=3-step=40.ckpt").string());
  CHECK(state.at("best_model_score").toDouble() == 0.2);
  CHECK(state.at("kth_best_model_path").toStringRef() == (fit.ckpts() / "epoch=1-step=20.ckpt").string());
  CHECK(best_k_of(*fit.callback).size() == 2);
}

TEST_CASE("ModelCheckpoint in max mode keeps the highest values", "[callbacks][checkpoint]") {
  Fit fit(checkpoint({{"monitor", "val/acc"}, {"mode", "max"}, {"save_top_k", 2}, {"filename", "{epoch}"}}));
  fit.epochs("val/acc", {0.5, 0.7, 0.6, 0.9, 0.1});
  CHECK(file_names(fit.ckpts()) == Strings{"best.ckpt", "epoch=1.ckpt", "epoch=3.ckpt", "last.ckpt"});
  CHECK(fit.content("best.ckpt") == FakeTrainer::marker(3, 40));
}

TEST_CASE("ModelCheckpoint save_top_k 0 keeps only last.ckpt, -1 keeps every file", "[callbacks][checkpoint]") {
  SECTION("0") {
    Fit fit(checkpoint({{"monitor", "val/loss"}, {"save_top_k", 0}}));
    fit.epochs("val/loss", {0.5, 0.3});
    CHECK(file_names(fit.ckpts()) == Strings{"last.ckpt"});
    CHECK(fit.content("last.ckpt") == FakeTrainer::marker(1, 20));
  }
  SECTION("-1") {
    Fit fit(checkpoint({{"monitor", "val/loss"}, {"save_top_k", -1}}));
    fit.epochs("val/loss", {0.5, 0.3, 0.4});
    CHECK(file_names(fit.ckpts()) ==
          Strings{"best.ckpt", "epoch=0-step=10.ckpt", "epoch=1-step=20.ckpt", "epoch=2-step=30.ckpt", "last.ckpt"});
    CHECK(fit.content("best.ckpt") == FakeTrainer::marker(1, 20));
  }
  SECTION("3 without a monitor keeps the latest three") {
    Fit fit(checkpoint({{"save_top_k", 3}, {"save_last", false}}));
    for (int i = 0; i < 5; ++i) fit.epoch({}, false);
    CHECK(file_names(fit.ckpts()) == Strings{"best.ckpt", "epoch=2-step=30.ckpt", "epoch=3-step=40.ckpt", "epoch=4-step=50.ckpt"});
  }
}

TEST_CASE("ModelCheckpoint passes save_weights_only and honours save_last = false", "[callbacks][checkpoint]") {
  Fit fit(checkpoint({{"save_last", false}, {"save_weights_only", true}}));
  fit.epoch({}, false);
  CHECK(file_names(fit.ckpts()) == Strings{"best.ckpt", "epoch=0-step=10.ckpt"});
  CHECK(fit.content("epoch=0-step=10.ckpt") == FakeTrainer::marker(0, 10, true));
}

TEST_CASE("ModelCheckpoint filename templates render like Lightning's", "[callbacks][checkpoint]") {
  auto name_after_one_epoch = [](Value::Table values, std::map<std::string, double> metrics) {
    values.emplace_back("save_last", false);
    Fit fit(checkpoint(std::move(values)));
    fit.trainer.epoch = 2;
    fit.epoch(std::move(metrics));
    auto names = file_names(fit.ckpts());
    names.erase(std::remove(names.begin(), names.end(), "best.ckpt"), names.end());
    REQUIRE(names.size() == 1);
    return names[0];
  };
  CHECK(name_after_one_epoch({{"filename", "{epoch}-{val/loss/epoch:.2f}"}}, {{"val/loss/epoch", 0.1234}}) ==
        "epoch=2-val_loss_epoch=0.12.ckpt");
  CHECK(name_after_one_epoch({{"filename", "model-{epoch:03d}-{val/loss:.3f}"}, {"auto_insert_metric_name", false}},
                             {{"val/loss", 0.98765}}) == "model-002-0.988.ckpt");
  CHECK(name_after_one_epoch({{"filename", "{step}-{acc}"}}, {{"acc", 0.1}}) == "step=10-acc=0.1.ckpt");
  CHECK(name_after_one_epoch({{"filename", "{missing:.2f}-{other}"}}, {}) == "missing=0.00-other=0.ckpt");
  CHECK(name_after_one_epoch({{"filename", "{val/acc:.1e}"}}, {{"val/acc", 12345.0}}) == "val_acc=1.2e+04.ckpt");

  CHECK_THROWS_WITH(checkpoint({{"filename", "{epoch"}}), Catch::Contains("filename") && Catch::Contains("never closed"));
  CHECK_THROWS_AS(checkpoint({{"filename", "{val/loss:>8s}"}}), ParamError);
  CHECK_THROWS_AS(checkpoint({{"save_top_k", -2}}), ParamError);
  CHECK_THROWS_AS(checkpoint({{"mode", "lowest"}}), ParamError);
}

TEST_CASE("ModelCheckpoint appends -v1 when a name is taken", "[callbacks][checkpoint]") {
  Fit fit(checkpoint({{"filename", "model"}, {"save_top_k", -1}, {"save_last", false}}));
  fit.epoch({}, false);
  fit.epoch({}, false);
  CHECK(file_names(fit.ckpts()) == Strings{"best.ckpt", "model-v1.ckpt", "model.ckpt"});
  CHECK(fit.content("model-v1.ckpt") == FakeTrainer::marker(1, 20));
}

TEST_CASE("ModelCheckpoint every_n_epochs saves top-k every N epochs and last.ckpt every epoch", "[callbacks][checkpoint]") {
  Fit fit(checkpoint({{"every_n_epochs", 2}, {"save_top_k", -1}}));
  for (int i = 0; i < 4; ++i) {
    fit.epoch({}, false);
    CHECK(fit.content("last.ckpt") == FakeTrainer::marker(i, 10 * (i + 1)));
  }
  CHECK(file_names(fit.ckpts()) == Strings{"best.ckpt", "epoch=1-step=20.ckpt", "epoch=3-step=40.ckpt", "last.ckpt"});
}

TEST_CASE("ModelCheckpoint every_n_train_steps saves during the epoch and turns epoch saves off", "[callbacks][checkpoint]") {
  Fit fit(checkpoint({{"every_n_train_steps", 3}, {"save_top_k", -1}, {"save_last", false}}));
  for (fit.trainer.step = 1; fit.trainer.step <= 7; ++fit.trainer.step)
    fit.callback->on_train_batch_end(fit.trainer, fit.model, {}, {}, fit.trainer.step - 1);
  fit.trainer.step = 7;
  fit.callback->on_train_epoch_end(fit.trainer, fit.model);
  CHECK(file_names(fit.ckpts()) == Strings{"best.ckpt", "epoch=0-step=3.ckpt", "epoch=0-step=6.ckpt"});
}

TEST_CASE("ModelCheckpoint saves once per epoch: after validation, else at the train epoch end", "[callbacks][checkpoint]") {
  SECTION("a validating fit saves after validation, with its metrics") {
    Fit fit(checkpoint({{"monitor", "val/loss"}}));
    fit.epoch({{"val/loss", 0.5}});
    CHECK(fit.trainer.saved.size() == 1);  // the top-k file; last and best are copies of it
  }
  SECTION("epochs without validation wait for the next one once the fit has validated") {
    Fit fit(checkpoint({{"monitor", "val/loss"}, {"save_top_k", -1}}));
    fit.epoch({{"val/loss", 0.5}});
    fit.epoch({{"val/loss", 0.5}}, false);  // stale validation metrics must not be ranked again
    CHECK(file_names(fit.ckpts()) == Strings{"best.ckpt", "epoch=0-step=10.ckpt", "last.ckpt"});
  }
  SECTION("save_on_train_epoch_end = true saves at the train epoch end") {
    Fit fit(checkpoint({{"monitor", "train/loss"}, {"save_on_train_epoch_end", true}}));
    fit.trainer.step = 10;
    fit.trainer.metrics = {{"train/loss", 1.0}};
    fit.callback->on_validation_end(fit.trainer, fit.model);
    CHECK(fit.trainer.saved.empty());
    fit.callback->on_train_epoch_end(fit.trainer, fit.model);
    CHECK(fit.trainer.saved.size() == 1);
  }
}

TEST_CASE("ModelCheckpoint names the missing monitor and the logged keys", "[callbacks][checkpoint]") {
  Fit fit(checkpoint({{"monitor", "val/los"}}));
  CHECK_THROWS_WITH(fit.epoch({{"val/loss", 0.5}, {"train/loss", 1.0}}),
                    Catch::Contains("monitor='val/los'") && Catch::Contains("'train/loss', 'val/loss'"));
}

TEST_CASE("ModelCheckpoint writes nothing in sanity checks, fast_dev_run, outside fit or without a run dir", "[callbacks][checkpoint]") {
  Fit fit(checkpoint());
  fit.trainer.sanity = true;
  fit.epoch({});
  fit.trainer.sanity = false;
  fit.trainer.dev_run = true;
  fit.epoch({});
  fit.trainer.dev_run = false;
  fit.trainer.stage_name = "validate";
  fit.epoch({});
  CHECK(fit.trainer.saved.empty());
  CHECK_FALSE(std::filesystem::exists(fit.ckpts()));

  Fit no_dir(checkpoint(), "lighter-callbacks-nodir");
  no_dir.trainer.run_dir.clear();
  no_dir.callback->setup(no_dir.trainer, no_dir.model, "fit");
  no_dir.epoch({}, false);
  CHECK(no_dir.trainer.saved.empty());
}

TEST_CASE("ModelCheckpoint state round-trips so a resumed fit keeps its ranking", "[callbacks][checkpoint]") {
  const Value::Table options{{"monitor", "val/loss"}, {"save_top_k", 2}};
  Fit first(checkpoint(options));
  first.epochs("val/loss", {0.5, 0.3, 0.4});
  const Dict state = first.callback->state_dict();
  CHECK(first.callback->state_key() ==
        "ModelCheckpoint{'monitor': 'val/loss', 'mode': 'min', 'every_n_train_steps': 0, 'every_n_epochs': 1, "
        "'train_time_interval': None}");
  CHECK(state.at("dirpath").toStringRef() == first.ckpts().string());
  CHECK(state.at("last_model_path").toStringRef() == (first.ckpts() / "last.ckpt").string());

  // Resumed into the same run directory: 0.35 beats the kth (0.4), whose file is removed.
  auto resumed = checkpoint(options);
  resumed->load_state_dict(state);
  CHECK(Dict::from_ivalue(resumed->state_dict().at("best_k_models")).keys() == best_k_of(*first.callback).keys());
  first.callback = resumed;
  first.trainer.metrics = {};
  first.epochs("val/loss", {0.45, 0.35});
  CHECK(file_names(first.ckpts()) == Strings{"best.ckpt", "epoch=1-step=20.ckpt", "epoch=4-step=50.ckpt", "last.ckpt"});
  CHECK(first.content("best.ckpt") == FakeTrainer::marker(1, 20));
  CHECK(resumed->state_dict().at("best_model_score").toDouble() == 0.3);
}

TEST_CASE("ModelCheckpoint resumed into a new run directory copies the earlier best into best.ckpt", "[callbacks][checkpoint]") {
  Fit first(checkpoint({{"monitor", "val/loss"}}), "lighter-ckpt-first");
  first.epochs("val/loss", {0.2});
  Fit second(checkpoint({{"monitor", "val/loss"}}), "lighter-ckpt-second");
  second.callback->load_state_dict(first.callback->state_dict());
  second.trainer.epoch = 1;
  second.trainer.step = 10;
  second.epochs("val/loss", {0.9});  // worse: not kept, and the first run's files stay untouched
  CHECK(file_names(second.ckpts()) == Strings{"best.ckpt", "last.ckpt"});
  CHECK(second.content("best.ckpt") == FakeTrainer::marker(0, 10));
  CHECK(file_names(first.ckpts()) == Strings{"best.ckpt", "epoch=0-step=10.ckpt", "last.ckpt"});
}

TEST_CASE("EarlyStopping stops after `patience` checks without improvement", "[callbacks][early_stopping]") {
  auto stopped_at = [](Value::Table options, const std::vector<double>& values) -> int64_t {
    Fit fit(early_stopping(std::move(options)));
    for (double v : values) {
      fit.epoch({{"val/loss", v}});
      if (fit.trainer.should_stop()) return fit.callback->state_dict().at("stopped_epoch").toInt();
    }
    return -1;
  };
  CHECK(stopped_at({{"monitor", "val/loss"}, {"patience", 2}}, {1.0, 0.9, 0.95, 0.92, 0.8}) == 3);
  CHECK(stopped_at({{"monitor", "val/loss"}, {"patience", 2}}, {1.0, 0.9, 0.95, 0.85, 0.86, 0.7}) == -1);
  // min_delta 0.1: 0.95 and 0.80 are not better by 0.1 (than 1.0 and 0.85), 0.85 is.
  CHECK(stopped_at({{"monitor", "val/loss"}, {"patience", 2}, {"min_delta", 0.1}}, {1.0, 0.95, 0.85, 0.80, 0.76}) == 4);
  // max mode: an equal value is no improvement.
  CHECK(stopped_at({{"monitor", "val/loss"}, {"mode", "max"}, {"patience", 2}}, {0.5, 0.6, 0.6, 0.55}) == 3);
  CHECK(stopped_at({{"monitor", "val/loss"}, {"mode", "max"}, {"patience", 1}, {"min_delta", 0.05}}, {0.5, 0.54}) == 1);
  // thresholds stop at once.
  CHECK(stopped_at({{"monitor", "val/loss"}, {"stopping_threshold", 0.5}}, {1.0, 0.7, 0.4}) == 2);
  CHECK(stopped_at({{"monitor", "val/loss"}, {"divergence_threshold", 2.0}}, {1.0, 3.0}) == 1);
  CHECK(stopped_at({{"monitor", "val/loss"}, {"mode", "max"}, {"divergence_threshold", 0.1}}, {0.5, 0.05}) == 1);
  // non-finite values stop unless check_finite is off (then NaN is just no improvement).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(stopped_at({{"monitor", "val/loss"}}, {1.0, nan}) == 1);
  CHECK(stopped_at({{"monitor", "val/loss"}}, {std::numeric_limits<double>::infinity()}) == 0);
  CHECK(stopped_at({{"monitor", "val/loss"}, {"check_finite", false}, {"patience", 2}}, {1.0, nan, nan}) == 2);
}

TEST_CASE("EarlyStopping checks once per epoch, never during the sanity check", "[callbacks][early_stopping]") {
  Fit fit(early_stopping({{"monitor", "val/loss"}, {"patience", 2}}));
  fit.trainer.sanity = true;
  fit.trainer.metrics = {{"val/loss", 0.0}};
  fit.callback->on_validation_end(fit.trainer, fit.model);
  fit.trainer.sanity = false;
  fit.epochs("val/loss", {1.0, 1.0});  // validation and the train epoch end each run: one check each epoch
  CHECK(fit.callback->state_dict().at("wait_count").toInt() == 1);
  CHECK_FALSE(fit.trainer.should_stop());

  Fit no_val(early_stopping({{"monitor", "train/loss"}, {"patience", 1}}));
  no_val.epoch({{"train/loss", 1.0}}, false);
  no_val.epoch({{"train/loss", 1.0}}, false);
  CHECK(no_val.trainer.should_stop());
}

TEST_CASE("EarlyStopping strict mode names the missing key and the logged ones", "[callbacks][early_stopping]") {
  Fit strict(early_stopping({{"monitor", "val/los"}}));
  CHECK_THROWS_WITH(strict.epoch({{"val/loss", 1.0}, {"train/loss", 2.0}}),
                    Catch::Contains("`val/los`") && Catch::Contains("`train/loss`, `val/loss`"));
  Fit lenient(early_stopping({{"monitor", "val/los"}, {"strict", false}}));
  CHECK_NOTHROW(lenient.epoch({{"val/loss", 1.0}}));
  CHECK_FALSE(lenient.trainer.should_stop());
  CHECK_THROWS_AS(early_stopping({}), ParamError);
}

TEST_CASE("EarlyStopping state round-trips", "[callbacks][early_stopping]") {
  const Value::Table options{{"monitor", "val/loss"}, {"patience", 3}};
  Fit first(early_stopping(options));
  first.epochs("val/loss", {0.5, 0.6, 0.7});
  const Dict state = first.callback->state_dict();
  CHECK(first.callback->state_key() == "EarlyStopping{'monitor': 'val/loss', 'mode': 'min'}");
  CHECK(state.at("wait_count").toInt() == 2);
  CHECK(state.at("best_score").toDouble() == 0.5);
  CHECK(state.at("patience").toInt() == 3);

  Fit resumed(early_stopping(options));
  resumed.callback->load_state_dict(state);
  resumed.trainer.epoch = 3;
  resumed.epochs("val/loss", {0.55});
  CHECK(resumed.trainer.should_stop());
  CHECK(resumed.callback->state_dict().at("stopped_epoch").toInt() == 3);
}

TEST_CASE("LearningRateMonitor logs Lightning's lr-<Optimizer> keys", "[callbacks][lr_monitor]") {
  auto weight = torch::zeros({2}, torch::requires_grad()), bias = torch::zeros({1}, torch::requires_grad());
  FakeTrainer trainer;
  FakeModel model;
  auto values = [&] {
    std::map<std::string, double> out;
    for (const auto& v : trainer.logged) out[v.key] = v.value;
    return out;
  };

  SECTION("one param group, with momentum and weight decay, every step") {
    torch::optim::Adam adam(std::vector<torch::Tensor>{weight}, torch::optim::AdamOptions(0.01).betas({0.8, 0.99}).weight_decay(0.1));
    trainer.optim = &adam;
    auto monitor = make("pytorch_lightning.callbacks.LearningRateMonitor", {{"log_momentum", true}, {"log_weight_decay", true}});
    monitor->on_train_epoch_start(trainer, model);
    CHECK(trainer.logged.empty());
    monitor->on_train_batch_start(trainer, model, {}, 0);
    CHECK(values() == std::map<std::string, double>{{"lr-Adam", 0.01}, {"lr-Adam-momentum", 0.8}, {"lr-Adam-weight_decay", 0.1}});
    CHECK(trainer.logged.front().options.on_step);
  }
  SECTION("several param groups, once per epoch") {
    torch::optim::SGD sgd(std::vector<torch::Tensor>{weight}, torch::optim::SGDOptions(0.1).momentum(0.9));
    sgd.add_param_group(torch::optim::OptimizerParamGroup({bias}, std::make_unique<torch::optim::SGDOptions>(0.5)));
    trainer.optim = &sgd;
    trainer.optim_name = "SGD";
    auto monitor = make("pytorch_lightning.callbacks.LearningRateMonitor", {{"logging_interval", "epoch"}, {"log_momentum", true}});
    monitor->on_train_batch_start(trainer, model, {}, 0);
    CHECK(trainer.logged.empty());
    monitor->on_train_epoch_start(trainer, model);
    CHECK(values() == std::map<std::string, double>{
                          {"lr-SGD/pg1", 0.1}, {"lr-SGD/pg1-momentum", 0.9}, {"lr-SGD/pg2", 0.5}, {"lr-SGD/pg2-momentum", 0.0}});
    CHECK(trainer.logged.front().options.on_epoch);
  }
  CHECK_THROWS_AS(make("pytorch_lightning.callbacks.LearningRateMonitor", {{"logging_interval", "batch"}}), ParamError);
}
