// Test plugin: objects whose code lives here, to prove the host keeps this library loaded while
// they are alive, and a module that records how many instances exist.
#include <lighter/sdk.hpp>

#include <atomic>

namespace {

std::atomic<int> live_objects{0};

class Probe : public lighter::Callback {
 public:
  explicit Probe(int64_t value) : value_(value) { ++live_objects; }
  ~Probe() override { --live_objects; }
  // A virtual call into this library's code; answers value * 2.
  virtual int64_t answer() const { return value_ * 2; }
  void on_fit_start(lighter::Trainer&, lighter::Model&) override { ++fit_starts; }
  int64_t fit_starts = 0;

 private:
  int64_t value_;
};

}  // namespace

extern "C" __attribute__((visibility("default"))) int lighter_test_live_objects() { return live_objects.load(); }

LIGHTER_PLUGIN(registrar) {
  registrar.add<lighter::Callback>("Probe", "counts its live instances (test)",
                                   {lighter::param::integer("value", 21, "what answer() doubles")},
                                   [](const lighter::Args& args) { return std::make_shared<Probe>(args.get<int64_t>("value")); });
}
