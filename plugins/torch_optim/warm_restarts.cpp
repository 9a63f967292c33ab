// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts (SGDR, PyTorch 1.13): cosine annealing
// from the initial lr to eta_min over T_i epochs, then a restart with T_i *= T_mult.
#include <cmath>

#include "registrations.hpp"
#include "scheduler_base.hpp"

namespace lighter::torch_optim {

namespace {
using namespace lighter::param;

class CosineAnnealingWarmRestarts : public PythonScheduler {
 public:
  explicit CosineAnnealingWarmRestarts(const Args& a)
      : PythonScheduler(a), t_0_(a.get<int64_t>("T_0")), t_mult_(a.get<int64_t>("T_mult")),
        eta_min_(a.get<double>("eta_min")) {}

 protected:
  void prepare(int64_t, std::vector<double>&) override {
    t_i_ = t_0_;
    t_cur_ = -1;  // Python's T_cur = last_epoch
  }

  // Python's own step(): it leaves _step_count alone (0 after the initial step).
  void advance(std::optional<double>) override {
    if (last_epoch_ < 0) {  // the initial step is step(0)
      restart();
      return;
    }
    ++last_epoch_;
    if (++t_cur_ >= t_i_) {
      t_cur_ -= t_i_;
      t_i_ *= t_mult_;
    }
    apply(get_lr());
  }
  void restart() override {
    t_i_ = t_0_;
    t_cur_ = 0;
    last_epoch_ = 0;
    apply(get_lr());
  }

  std::vector<double> get_lr() override {
    std::vector<double> out;
    const double angle = M_PI * static_cast<double>(t_cur_) / static_cast<double>(t_i_);
    for (double base : base_lrs_) out.push_back(eta_min_ + (base - eta_min_) * (1 + std::cos(angle)) / 2);
    return out;
  }

  void write_settings(Dict& state) const override {
    state.set("T_0", t_0_);
    state.set("T_i", t_i_);
    state.set("T_mult", t_mult_);
    state.set("eta_min", eta_min_);
    state.set("T_cur", t_cur_);
  }
  void read_settings(const Dict& state) override {
    t_0_ = state_int(state, "T_0", target());
    t_i_ = state_int(state, "T_i", target());
    t_mult_ = state_int(state, "T_mult", target());
    eta_min_ = state_double(state, "eta_min", target());
    t_cur_ = state_int(state, "T_cur", target());
  }

 private:
  int64_t t_0_, t_mult_;
  double eta_min_;
  int64_t t_i_ = 0, t_cur_ = -1;
};
}  // namespace

void register_warm_restarts(Registrar& r) {
  r.add<Scheduler>("torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
                   "cosine annealing to eta_min with warm restarts every T_i epochs (T_i grows by T_mult)",
                   python_params({positive_int("T_0", std::nullopt, "epochs until the first restart"),
                                  positive_int("T_mult", 1, "factor by which T_i grows after a restart"),
                                  real("eta_min", 0.0, "minimum learning rate")}),
                   [](const Args& a) { return std::make_shared<CosineAnnealingWarmRestarts>(a); });
}

}  // namespace lighter::torch_optim
