// Test plugin: components that misbehave at the plugin boundary.
//   Exploding, Picky          factories that throw a std::exception / report a config problem
//   ThrowsIntInFactory        a factory that throws 42 (not a std::exception)
//   ThrowsIntInHook           a callback that throws 42 in on_train_batch_end at global step `at_step`
//   TorchErrorInHook          a callback whose on_train_epoch_end fails with a c10::Error
//   StepThrowsInt             a LighterModule whose training_step throws 42 at batch `at_batch`
//   BrokenDataset             a dataset whose get() fails with a c10::Error (on a worker thread
//                             when its DataLoader has num_workers > 0)
//   throw42                   a writer function (FileWriter's writer_fn) that throws 42
//   SignalInFactory           a callback whose factory sends this process SIGTERM
//   SignalAtFitEnd            a callback that sends this process SIGINT in on_fit_end
// With LIGHTER_TEST_SIGNAL_ON_LOAD=1 in the environment, registering sends SIGTERM.
#include <lighter/sdk.hpp>

#include <csignal>
#include <cstdlib>
#include <stdexcept>

namespace {

class ThrowsIntInHook : public lighter::Callback {
 public:
  explicit ThrowsIntInHook(int64_t at_step) : at_step_(at_step) {}
  void on_train_batch_end(lighter::Trainer& trainer, lighter::Model&, const lighter::Dict&, const lighter::Dict&,
                          int64_t) override {
    if (trainer.global_step() >= at_step_) throw 42;
  }

 private:
  int64_t at_step_;
};

class TorchErrorInHook : public lighter::Callback {
 public:
  void on_train_epoch_end(lighter::Trainer&, lighter::Model&) override {
    (void)(torch::ones({3}) + torch::ones({4}));  // "The size of tensor a (3) must match the size of tensor b (4) ..."
  }
};

class StepThrowsInt : public lighter::LighterModule {
 public:
  StepThrowsInt(Parts parts, int64_t at_batch) : LighterModule(std::move(parts)), at_batch_(at_batch) {}
  lighter::Dict training_step(const lighter::Dict& batch, int64_t batch_idx) override {
    if (batch_idx >= at_batch_) throw 42;
    return {{"loss", (forward(batch.tensor("input")).sum() * 0.0)}};
  }

 private:
  int64_t at_batch_;
};

class BrokenDataset : public lighter::Dataset {
 public:
  int64_t size() const override { return 64; }
  lighter::Dict get(int64_t index, torch::Generator&) const override {
    TORCH_CHECK(index < 0, "sample ", index, " cannot be read (BrokenDataset)");
    return {};
  }
};

class SignalAtFitEnd : public lighter::Callback {
 public:
  void on_fit_end(lighter::Trainer&, lighter::Model&) override { std::raise(SIGINT); }
};

}  // namespace

LIGHTER_PLUGIN(registrar) {
  using namespace lighter;
  if (const char* on_load = std::getenv("LIGHTER_TEST_SIGNAL_ON_LOAD"); on_load && std::string(on_load) == "1")
    std::raise(SIGTERM);
  registrar.add<Model>("Exploding", "a model whose factory throws (test)", {},
                       [](const Args&) -> std::shared_ptr<Model> {
                         throw std::runtime_error("cannot open weights file /nonexistent/w.pt");
                       });
  registrar.add<Model>("Picky", "a model that rejects its size (test)", {param::integer("size", 1, "must be even")},
                       [](const Args& args) -> std::shared_ptr<Model> {
                         args.fail("size", "expected an even number, got " + std::to_string(args.get<int64_t>("size")));
                       });
  registrar.add<Callback>("ThrowsIntInFactory", "a factory that throws 42 (test)", {},
                          [](const Args&) -> std::shared_ptr<Callback> { throw 42; });
  registrar.add<Callback>("ThrowsIntInHook", "throws 42 in on_train_batch_end (test)",
                          {param::integer("at_step", 0, "first global step that throws")},
                          [](const Args& a) { return std::make_shared<ThrowsIntInHook>(a.get<int64_t>("at_step")); });
  registrar.add<Callback>("TorchErrorInHook", "a c10::Error in on_train_epoch_end (test)", {},
                          [](const Args&) { return std::make_shared<TorchErrorInHook>(); });
  auto step_params = LighterModule::params();
  step_params.push_back(param::integer("at_batch", 0, "first batch whose training_step throws"));
  registrar.add<Model>("StepThrowsInt", "a model whose training_step throws 42 (test)", step_params, [](const Args& a) {
    return std::make_shared<StepThrowsInt>(LighterModule::parts_from(a), a.get<int64_t>("at_batch"));
  });
  registrar.add<Dataset>("BrokenDataset", "a dataset that cannot read any sample (test)", {},
                         [](const Args&) { return std::make_shared<BrokenDataset>(); });
  registrar.add_writer(WriterFunction{"throw42", ".bin", "throws 42 (test)",
                                      [](const std::filesystem::path&, const c10::IValue&) { throw 42; }});
  registrar.add<Callback>("SignalInFactory", "sends SIGTERM to this process while it is built (test)", {},
                          [](const Args&) -> std::shared_ptr<Callback> {
                            std::raise(SIGTERM);
                            return std::make_shared<SignalAtFitEnd>();
                          });
  registrar.add<Callback>("SignalAtFitEnd", "sends SIGINT to this process in on_fit_end (test)", {},
                          [](const Args&) { return std::make_shared<SignalAtFitEnd>(); });
}
