// torch.optim.lr_scheduler.SequentialLR (PyTorch 1.13): runs its schedulers one after another,
// switching at the milestones (a LinearLR warmup, then CosineAnnealingLR). The children share
// the SequentialLR's optimizer: it binds them when the engine binds it, and only it steps them.
#include <algorithm>

#include "registrations.hpp"
#include "scheduler_base.hpp"

namespace lighter::torch_optim {

class SequentialLR : public LrScheduler {
 public:
  explicit SequentialLR(const Args& a) : LrScheduler(a), milestones_(a.get<std::vector<int64_t>>("milestones")) {
    require_new_schedule(a);
    const auto schedulers = a.components<Scheduler>("schedulers");
    if (schedulers.empty()) a.fail("schedulers", "expected a non-empty list of schedulers");
    if (milestones_.size() != schedulers.size() - 1)
      a.fail("milestones", "expected one milestone fewer than schedulers (" + std::to_string(schedulers.size() - 1) +
                               "), got " + std::to_string(milestones_.size()));
    for (size_t i = 0; i < milestones_.size(); ++i)
      if (milestones_[i] < 1 || (i > 0 && milestones_[i] <= milestones_[i - 1]))
        a.fail("milestones", "expected increasing epochs >= 1 (where each scheduler after the first starts), got " +
                                 a.get<Value>("milestones").repr());
    for (size_t i = 0; i < schedulers.size(); ++i) adopt(a, i, schedulers[i]);
  }

 protected:
  // Python's __init__ after its children's: each child took the groups' 'initial_lr' as base_lrs
  // and made its initial step; the lr goes back to 'initial_lr', the steps are undone, and only
  // the first child makes its initial step again.
  void on_attach(int64_t total_steps) override {
    std::vector<double> initial_lrs = lrs();
    for (PythonScheduler* c : children_) {
      c->bind(optimizer());
      c->start(total_steps, initial_lrs);
    }
    set_lrs(initial_lrs);
    for (PythonScheduler* c : children_) c->last_epoch_ -= 1;
    children_[0]->step_count_ = 0;
    children_[0]->advance(std::nullopt);
    last_epoch_ = 0;
    last_lr_ = children_[0]->last_lr_;
  }

  void advance(std::optional<double>) override {
    ++last_epoch_;
    const size_t idx = std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
    PythonScheduler* c = children_[idx];
    if (idx > 0 && milestones_[idx - 1] == last_epoch_) c->restart();
    else c->advance(std::nullopt);
    last_lr_ = c->last_lr_;
  }

  // Python's layout: its attributes, then `_schedulers` with each child's state dict.
  void write_state(Dict& state) const override {
    c10::List<int64_t> milestones(milestones_);
    state.set("_milestones", milestones);
    state.set("last_epoch", last_epoch_);
    state.set("_last_lr", doubles(last_lr_));
    GenericList schedulers = any_list();
    for (const PythonScheduler* c : children_) {
      Dict child_state;
      c->write_state(child_state);
      schedulers.push_back(child_state.to_ivalue());
    }
    state.set("_schedulers", schedulers);
  }

  void read_state(const Dict& state) override {
    const std::string& where = target();
    const auto schedulers = elements(require(state, "_schedulers", where + " state"), where + " state['_schedulers']");
    if (schedulers.size() != children_.size())
      throw std::runtime_error(where + ": the checkpoint has " + std::to_string(schedulers.size()) +
                               " schedulers, the config " + std::to_string(children_.size()));
    std::vector<int64_t> milestones;
    for (const auto& m : elements(require(state, "_milestones", where + " state"), where + " state['_milestones']"))
      milestones.push_back(to_int(m, where + " state['_milestones']"));
    if (milestones.size() != milestones_.size())
      throw std::runtime_error(where + ": the checkpoint has " + std::to_string(milestones.size()) +
                               " milestones, the config " + std::to_string(milestones_.size()));
    milestones_ = milestones;
    last_epoch_ = state_int(state, "last_epoch", where);
    if (state.contains("_last_lr")) last_lr_ = state_doubles(state, "_last_lr", where);
    for (size_t i = 0; i < children_.size(); ++i) children_[i]->read_state(Dict::from_ivalue(schedulers[i]));
  }

 private:
  void adopt(const Args& a, size_t i, const std::shared_ptr<Scheduler>& scheduler) {
    const std::string key = "schedulers::" + std::to_string(i);
    auto* python = dynamic_cast<PythonScheduler*>(scheduler.get());
    if (!python)
      a.fail(key, scheduler->target() + " cannot run inside SequentialLR, which steps its schedulers without a "
                                        "metric; use a torch.optim.lr_scheduler schedule such as LinearLR");
    if (!python->owner_.empty())
      a.fail(key, "this scheduler is already stepped by a SequentialLR; give each SequentialLR its own schedulers");
    if (python->frequency_ != 1)
      a.fail(key, "frequency applies to the SequentialLR, which steps its schedulers on each of its own steps; "
                  "remove it here");
    python->owner_ = "the SequentialLR" + (a.path().empty() ? "" : " at " + a.path());
    schedulers_.push_back(scheduler);
    children_.push_back(python);
  }

  std::vector<int64_t> milestones_;
  std::vector<std::shared_ptr<Scheduler>> schedulers_;  // keeps the children alive
  std::vector<PythonScheduler*> children_;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

void register_sequential(Registrar& r) {
  using namespace lighter::param;
  r.add<Scheduler>("torch.optim.lr_scheduler.SequentialLR",
                   "runs its schedulers one after another, switching at the milestones (warmup, then decay)",
                   python_params({components("schedulers", Kind::Scheduler, "the schedules, in order of use"),
                                  list("milestones", Type::Int, std::nullopt,
                                       "epochs at which the next scheduler takes over (one fewer than schedulers)")}),
                   [](const Args& a) { return std::make_shared<SequentialLR>(a); });
}

}  // namespace lighter::torch_optim
