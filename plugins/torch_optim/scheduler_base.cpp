#include "scheduler_base.hpp"

#include <stdexcept>

namespace lighter::torch_optim {

namespace {
// Lightning's frequency counter; not a Python attribute (Python's load_state_dict ignores it).
const char* const kIntervalCalls = "_lighter_interval_calls";
}  // namespace

LrScheduler::LrScheduler(const Args& a)
    : interval_(interval_of(a)), frequency_(frequency_of(a)) {}

void LrScheduler::attach(torch::optim::Optimizer& optimizer, int64_t total_steps) {
  check_not_owned();
  bind(optimizer);
  on_attach(total_steps);
}

void LrScheduler::bind(torch::optim::Optimizer& optimizer) {
  optimizer_ = &optimizer;
  interval_calls_ = 0;
}

void LrScheduler::check_not_owned() const {
  if (!owner_.empty())
    throw std::runtime_error(target() + " is one of the schedulers of " + owner_ + ", which steps it; it cannot " +
                             "also be stepped on its own (make the SequentialLR the model's scheduler)");
}

void LrScheduler::step(std::optional<double> metric) {
  check_not_owned();
  optimizer();  // fails clearly when not attached
  if (++interval_calls_ % frequency_ != 0) return;
  advance(metric);
}

Dict LrScheduler::state_dict() const {
  Dict state;
  write_state(state);
  state.set(kIntervalCalls, interval_calls_);
  return state;
}

void LrScheduler::load_state_dict(const Dict& state) {
  read_state(state);
  if (state.contains(kIntervalCalls)) interval_calls_ = state_int(state, kIntervalCalls, target());
}

torch::optim::Optimizer& LrScheduler::optimizer() const {
  if (!optimizer_) throw std::logic_error(target() + " was stepped before being attached to an optimizer");
  return *optimizer_;
}

std::vector<double> LrScheduler::lrs() const {
  std::vector<double> out;
  for (const auto& group : optimizer().param_groups()) out.push_back(group.options().get_lr());
  return out;
}

void LrScheduler::set_lrs(const std::vector<double>& lrs) {
  auto& groups = optimizer().param_groups();
  for (size_t i = 0; i < groups.size() && i < lrs.size(); ++i) groups[i].options().set_lr(lrs[i]);
}

std::vector<double> LrScheduler::per_group(const std::vector<double>& values, const std::string& name) const {
  const size_t groups = optimizer().param_groups().size();
  if (values.size() == 1) return std::vector<double>(groups, values[0]);
  if (values.size() != groups)
    throw std::runtime_error(target() + ": expected " + std::to_string(groups) + " values for " + name + ", got " +
                             std::to_string(values.size()));
  return values;
}

PythonScheduler::PythonScheduler(const Args& a) : LrScheduler(a) { require_new_schedule(a); }

void require_new_schedule(const Args& a) {
  if (a.get<int64_t>("last_epoch") != -1)
    a.fail("last_epoch", "expected -1 (a new schedule); PyTorch resumes a schedule from the 'initial_lr' of an "
                         "optimizer that was scheduled before, which a new run does not have: resume the run from "
                         "its checkpoint (ckpt_path) instead");
}

void PythonScheduler::on_attach(int64_t total_steps) {
  std::vector<double> initial_lrs = lrs();
  start(total_steps, initial_lrs);
}

void PythonScheduler::start(int64_t total_steps, std::vector<double>& initial_lrs) {
  prepare(total_steps, initial_lrs);
  base_lrs_ = initial_lrs;
  last_epoch_ = -1;
  step_count_ = 0;
  advance(std::nullopt);
}

void PythonScheduler::advance(std::optional<double>) {
  ++step_count_;
  ++last_epoch_;
  apply(get_lr());
}

void PythonScheduler::restart() {
  ++step_count_;
  last_epoch_ = 0;
  auto closed_form = closed_form_lr();
  apply(closed_form ? *closed_form : get_lr());
}

void PythonScheduler::apply(const std::vector<double>& values) {
  set_lrs(values);
  last_lr_ = lrs();
}

std::vector<double> PythonScheduler::scaled_base_lrs(double factor) const {
  std::vector<double> out;
  for (double base : base_lrs_) out.push_back(base * factor);
  return out;
}

void PythonScheduler::write_state(Dict& state) const {
  write_settings(state);
  state.set("base_lrs", doubles(base_lrs_));
  state.set("last_epoch", last_epoch_);
  state.set("verbose", false);
  state.set("_step_count", step_count_);
  state.set("_get_lr_called_within_step", false);
  state.set("_last_lr", doubles(last_lr_));
}

void PythonScheduler::read_state(const Dict& state) {
  const std::string& where = target();
  read_settings(state);
  base_lrs_ = state_doubles(state, "base_lrs", where);
  last_epoch_ = state_int(state, "last_epoch", where);
  step_count_ = state_int(state, "_step_count", where);
  if (state.contains("_last_lr")) last_lr_ = state_doubles(state, "_last_lr", where);
}

std::vector<Param> with_interval(std::vector<Param> own, const std::string& default_interval) {
  own.push_back(param::choice("interval", {"epoch", "step"}, default_interval,
                              "step the schedule after every epoch or after every optimizer step"));
  own.push_back(positive_int("frequency", 1, "step the schedule on every frequency-th interval"));
  return own;
}

std::vector<Param> python_params(std::vector<Param> own, const std::string& default_interval) {
  own.push_back(param::integer("last_epoch", -1, "index of the last epoch; -1 starts a new schedule"));
  return with_interval(std::move(own), default_interval);
}

std::string interval_of(const Args& a) { return a.get<std::string>("interval"); }
int64_t frequency_of(const Args& a) { return a.get<int64_t>("frequency"); }

Param positive_int(std::string name, std::optional<int64_t> default_value, std::string doc) {
  Param p = param::integer(std::move(name), default_value, std::move(doc));
  p.check = [](const Value& v) { return v.is_int() && v.as_int() >= 1 ? "" : "an integer >= 1"; };
  return p;
}

Param optional_positive_int(std::string name, std::string doc) {
  Param p = positive_int(std::move(name), std::nullopt, std::move(doc));
  p.type = Type::Int | Type::Null;
  p.default_value = Value();
  return p;
}

Param float_or_list(std::string name, std::optional<double> default_value, std::string doc) {
  Param p = param::real(std::move(name), default_value, std::move(doc));
  p.type = Type::Float | Type::Int | Type::List;
  p.element_type = Type::Float;
  return p;
}

std::vector<double> float_or_list_of(const Args& a, const std::string& key) {
  if (a.get<Value>(key).is_number()) return {a.get<double>(key)};
  auto values = a.get<std::vector<double>>(key);
  if (values.empty()) a.fail(key, "expected a number or a non-empty list of numbers");
  return values;
}

double state_double(const Dict& state, const std::string& key, const std::string& where) {
  return to_double(require(state, key, where + " state"), where + " state['" + key + "']");
}
int64_t state_int(const Dict& state, const std::string& key, const std::string& where) {
  return to_int(require(state, key, where + " state"), where + " state['" + key + "']");
}
std::vector<double> state_doubles(const Dict& state, const std::string& key, const std::string& where) {
  return to_doubles(require(state, key, where + " state"), where + " state['" + key + "']");
}

}  // namespace lighter::torch_optim
