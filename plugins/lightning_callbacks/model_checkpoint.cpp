// pytorch_lightning.callbacks.ModelCheckpoint: the top-k checkpoints by a monitored value (the
// latest k by step when nothing is monitored), `last.ckpt` for `--ckpt_path last` and
// `best.ckpt`, a copy of the current best, for `--ckpt_path best`.
#include <lighter/atomic_file.hpp>
#include <lighter/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "checkpoint_name.hpp"
#include "epoch_end_schedule.hpp"
#include "registrations.hpp"

namespace fs = std::filesystem;

namespace lighter::lightning {

namespace {
struct CheckpointOptions {
  std::string dirpath;  // empty: <log_dir>/checkpoints
  std::string filename;
  std::optional<std::string> monitor;
  std::string mode;
  int64_t save_top_k = 1, every_n_train_steps = 0, every_n_epochs = 1;
  bool verbose = false, save_last = true, save_weights_only = false, auto_insert_metric_name = true;
  bool enable_version_counter = true;
  std::optional<bool> save_on_train_epoch_end;
};

using Ranking = std::vector<std::pair<std::string, double>>;  // path -> score, in insertion order

bool inside(const fs::path& file, const fs::path& dir) {
  const fs::path f = fs::absolute(file).lexically_normal(), d = fs::absolute(dir).lexically_normal();
  const auto rel = f.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

class ModelCheckpoint : public Callback {
 public:
  bool monitors_metrics() const override { return true; }
  explicit ModelCheckpoint(CheckpointOptions options)
      : o_(std::move(options)), name_(o_.filename, o_.auto_insert_metric_name), schedule_(o_.save_on_train_epoch_end) {}

  // Lightning's key, so several ModelCheckpoints in one run keep separate state.
  std::string state_key() const override {
    return "ModelCheckpoint{'monitor': " + py_repr(o_.monitor) + ", 'mode': '" + o_.mode +
           "', 'every_n_train_steps': " + std::to_string(o_.every_n_train_steps) +
           ", 'every_n_epochs': " + std::to_string(o_.every_n_epochs) + ", 'train_time_interval': None}";
  }

  Dict state_dict() const override {
    Dict best_k;
    for (const auto& [path, score] : ranking_) best_k.set(path, score);
    const auto best = best_entry(), kth = worst_entry();
    auto score_or_none = [&](const Ranking::const_iterator& it) {
      return it == ranking_.end() || !o_.monitor ? c10::IValue() : c10::IValue(it->second);
    };
    return {{"monitor", o_.monitor ? c10::IValue(*o_.monitor) : c10::IValue()},
            {"best_model_score", score_or_none(best)},
            {"best_model_path", best == ranking_.end() ? std::string() : best->first},
            {"current_score", current_score_ ? c10::IValue(*current_score_) : c10::IValue()},
            {"dirpath", dir_.string()},
            {"best_k_models", best_k.to_ivalue()},
            {"kth_best_model_path", kth == ranking_.end() ? std::string() : kth->first},
            {"kth_value", score_or_none(kth)},
            {"last_model_path", last_model_path_}};
  }

  // The ranking is restored even when the run directory changed (a resumed fit writes a new
  // version_N), so best.ckpt keeps naming the best model of the whole fit. Files outside this
  // run's directory are never deleted.
  void load_state_dict(const Dict& state) override {
    if (const auto* best_k = state.find("best_k_models"); best_k && best_k->isGenericDict()) {
      ranking_.clear();
      for (const auto& [path, score] : Dict::from_ivalue(*best_k)) ranking_.emplace_back(path, score.toDouble());
    }
    if (const auto* last = state.find("last_model_path"); last && last->isString()) last_model_path_ = last->toStringRef();
    if (const auto* current = state.find("current_score"); current && current->isDouble()) current_score_ = current->toDouble();
  }

  void setup(Trainer& trainer, Model&, const std::string& stage) override {
    schedule_.start(stage);
    if (stage != "fit") return;
    dir_ = resolve_dir(trainer);
    // A fit killed while writing left `*.tmp<pid>` files here (a fixed dirpath is shared by runs).
    if (!dir_.empty() && trainer.is_global_zero()) remove_stale_temps(dir_);
  }

  void on_train_batch_end(Trainer& trainer, Model&, const Dict&, const Dict&, int64_t) override {
    if (o_.every_n_train_steps >= 1 && trainer.global_step() % o_.every_n_train_steps == 0) save(trainer, true);
  }
  void on_train_epoch_end(Trainer& trainer, Model&) override {
    if (schedule_.after_train_epoch(trainer)) save(trainer, epoch_due(trainer));
  }
  void on_validation_end(Trainer& trainer, Model&) override {
    if (schedule_.after_validation(trainer)) save(trainer, epoch_due(trainer));
  }

 private:
  bool higher_is_better() const { return !o_.monitor || o_.mode == "max"; }
  bool better(double a, double b) const { return higher_is_better() ? a > b : a < b; }
  bool epoch_due(const Trainer& trainer) const {
    return o_.every_n_epochs >= 1 && (trainer.current_epoch() + 1) % o_.every_n_epochs == 0;
  }

  // First of equals wins, like Python's min/max over an insertion-ordered dict.
  Ranking::const_iterator best_entry() const { return pick([&](double a, double b) { return better(a, b); }); }
  Ranking::const_iterator worst_entry() const { return pick([&](double a, double b) { return better(b, a); }); }
  template <class Before>
  Ranking::const_iterator pick(Before before) const {
    auto chosen = ranking_.begin();
    for (auto it = ranking_.begin(); it != ranking_.end(); ++it)
      if (before(it->second, chosen->second)) chosen = it;
    return chosen;
  }

  fs::path resolve_dir(const Trainer& trainer) const {
    if (!o_.dirpath.empty()) return o_.dirpath;
    return trainer.log_dir().empty() ? fs::path() : trainer.log_dir() / "checkpoints";
  }

  void save(Trainer& trainer, bool top_k_due) {
    // Lightning saves once per step at most and never in sanity checks, fast_dev_run or outside fit.
    if (trainer.fast_dev_run() || trainer.sanity_checking() || trainer.stage() != "fit") return;
    if (trainer.global_step() == last_step_saved_) return;
    if (dir_.empty()) dir_ = resolve_dir(trainer);
    if (dir_.empty()) return;  // the run writes nothing
    last_step_saved_ = trainer.global_step();
    // Set before writing: the paths are part of the state saved inside the checkpoint.
    if (o_.save_last) last_model_path_ = (dir_ / "last.ckpt").string();
    std::string written;
    if (top_k_due && o_.save_top_k != 0) written = save_top_k(trainer);
    // Every rank calls save_checkpoint (the trainer decides who writes); file copies are rank 0's.
    if (o_.save_last) {
      if (written.empty()) trainer.save_checkpoint(last_model_path_, o_.save_weights_only);
      else if (trainer.is_global_zero()) copy_file_atomic(written, last_model_path_);
    }
    if (trainer.is_global_zero()) refresh_best_alias(written);
  }

  std::map<std::string, double> candidates(const Trainer& trainer) const {
    auto values = trainer.callback_metrics();
    values["epoch"] = static_cast<double>(trainer.current_epoch());
    values["step"] = static_cast<double>(trainer.global_step());
    return values;
  }

  // Returns the file written, or "" when the current value does not make the top k.
  std::string save_top_k(Trainer& trainer) {
    const auto values = candidates(trainer);
    double current = static_cast<double>(trainer.global_step());
    if (o_.monitor) {
      const auto it = values.find(*o_.monitor);
      if (it == values.end()) throw std::runtime_error(missing_monitor(values));
      const double inf = std::numeric_limits<double>::infinity();
      current = std::isnan(it->second) ? (higher_is_better() ? -inf : inf) : it->second;
    }
    current_score_ = current;
    if (o_.save_top_k != -1 && static_cast<int64_t>(ranking_.size()) >= o_.save_top_k &&
        !better(current, worst_entry()->second)) {
      if (o_.verbose && o_.monitor) log::info(progress(trainer) + "'" + *o_.monitor + "' was not in top " + std::to_string(o_.save_top_k));
      return "";
    }
    std::vector<std::string> dropped;
    while (o_.save_top_k != -1 && static_cast<int64_t>(ranking_.size()) >= o_.save_top_k) {
      dropped.push_back(worst_entry()->first);
      ranking_.erase(worst_entry());
    }
    const std::string path = unique_path(values, dropped);
    ranking_.erase(std::remove_if(ranking_.begin(), ranking_.end(), [&](const auto& e) { return e.first == path; }),
                   ranking_.end());
    ranking_.emplace_back(path, current);
    if (o_.verbose)
      log::info(progress(trainer) + (o_.monitor ? "'" + *o_.monitor + "' reached " + std::to_string(current) + ", " : "") +
                "saving model to '" + path + "'");
    trainer.save_checkpoint(path, o_.save_weights_only);
    if (trainer.is_global_zero())
      for (const auto& old : dropped)
        if (old != path && inside(old, dir_)) remove_file(old);
    return path;
  }

  std::string unique_path(const std::map<std::string, double>& values, const std::vector<std::string>& dropped) const {
    fs::path path = dir_ / (name_.render(values) + ".ckpt");
    auto reusable = [&](const fs::path& p) {
      return !fs::exists(p) || std::find(dropped.begin(), dropped.end(), p.string()) != dropped.end();
    };
    for (int version = 1; o_.enable_version_counter && !reusable(path); ++version)
      path = dir_ / (name_.render(values, version) + ".ckpt");
    return path.string();
  }

  // best.ckpt is rewritten when the best changes, when the best file itself was just rewritten,
  // or when this run directory has none yet.
  void refresh_best_alias(const std::string& written) {
    const auto best = best_entry();
    if (best == ranking_.end()) return;
    const fs::path alias = dir_ / "best.ckpt";
    if (best->first == alias.string()) return;  // the template itself is named "best"
    if (best->first == alias_source_ && written != best->first && fs::exists(alias)) return;
    if (!fs::exists(best->first)) {
      log::warn("ModelCheckpoint: the best checkpoint '" + best->first + "' no longer exists; best.ckpt not updated");
      return;
    }
    copy_file_atomic(best->first, alias);
    alias_source_ = best->first;
  }

  static void remove_file(const std::string& path) {
    std::error_code error;
    fs::remove(path, error);
    if (error) log::warn("ModelCheckpoint: could not remove '" + path + "': " + error.message());
  }

  std::string missing_monitor(const std::map<std::string, double>& values) const {
    std::string keys;
    for (const auto& [key, value] : values) keys += (keys.empty() ? "'" : ", '") + key + "'";
    return "ModelCheckpoint(monitor='" + *o_.monitor + "') could not find the monitored key in the logged metrics: [" +
           keys + "]. HINT: did you log '" + *o_.monitor + "' (Lighter's keys end in /step or /epoch)?";
  }

  static std::string progress(const Trainer& trainer) {
    return "Epoch " + std::to_string(trainer.current_epoch()) + ", global step " + std::to_string(trainer.global_step()) + ": ";
  }

  CheckpointOptions o_;
  CheckpointName name_;
  EpochEndSchedule schedule_;
  fs::path dir_;
  Ranking ranking_;
  std::optional<double> current_score_;
  std::string last_model_path_, alias_source_;
  int64_t last_step_saved_ = 0;  // Lightning's start value: nothing is saved before the first step
};
}  // namespace

void register_model_checkpoint(Registrar& r) {
  using namespace lighter::param;
  r.add<Callback>(
      "pytorch_lightning.callbacks.ModelCheckpoint", "saves the top-k checkpoints by a monitored value, last.ckpt and best.ckpt",
      {or_null(string("dirpath", std::nullopt, "checkpoint folder (default: <run dir>/checkpoints)")),
       or_null(string("filename", std::nullopt, "name template, e.g. '{epoch}-{val/loss/epoch:.2f}' (default: '{epoch}-{step}')")),
       or_null(string("monitor", std::nullopt, "logged key to rank checkpoints by (default: keep the latest by step)")),
       boolean("verbose", false, "log each save decision"),
       boolean("save_last", true, "keep last.ckpt, a copy of the latest checkpoint"),
       integer("save_top_k", 1, "how many best checkpoints to keep (-1: all, 0: none)"),
       boolean("save_weights_only", false, "save only the model weights"),
       choice("mode", {"min", "max"}, "min", "whether a lower or a higher monitored value is better"),
       boolean("auto_insert_metric_name", true, "render '{epoch}' as 'epoch=3'"),
       or_null(integer("every_n_train_steps", std::nullopt, "also save every N optimizer steps")),
       or_null(integer("every_n_epochs", std::nullopt, "save top-k every N epochs (default: 1, or 0 with every_n_train_steps)")),
       or_null(boolean("save_on_train_epoch_end", false,
                       "save at the end of the training epoch instead of after validation (default: after validation when the fit validates)")),
       boolean("enable_version_counter", true, "append -v1, -v2 ... instead of overwriting an existing file")},
      [](const Args& a) {
        CheckpointOptions o;
        o.dirpath = a.get_optional<std::string>("dirpath").value_or("");
        o.filename = a.get_optional<std::string>("filename").value_or("{epoch}-{step}");
        o.monitor = a.get_optional<std::string>("monitor");
        o.mode = a.get<std::string>("mode");
        o.verbose = a.get<bool>("verbose");
        o.save_last = a.get<bool>("save_last");
        o.save_top_k = a.get<int64_t>("save_top_k");
        if (o.save_top_k < -1) a.fail("save_top_k", "must be >= -1, got " + std::to_string(o.save_top_k));
        o.save_weights_only = a.get<bool>("save_weights_only");
        o.auto_insert_metric_name = a.get<bool>("auto_insert_metric_name");
        o.every_n_train_steps = a.get_optional<int64_t>("every_n_train_steps").value_or(0);
        if (o.every_n_train_steps < 0) a.fail("every_n_train_steps", "must be >= 0, got " + std::to_string(o.every_n_train_steps));
        o.every_n_epochs = a.get_optional<int64_t>("every_n_epochs").value_or(o.every_n_train_steps > 0 ? 0 : 1);
        if (o.every_n_epochs < 0) a.fail("every_n_epochs", "must be >= 0, got " + std::to_string(o.every_n_epochs));
        o.save_on_train_epoch_end = a.get_optional<bool>("save_on_train_epoch_end");
        o.enable_version_counter = a.get<bool>("enable_version_counter");
        try {
          CheckpointName(o.filename, o.auto_insert_metric_name);
        } catch (const std::invalid_argument& e) {
          a.fail("filename", e.what());
        }
        return std::make_shared<ModelCheckpoint>(std::move(o));
      });
}

}  // namespace lighter::lightning
