#include "engine/trainer_options.hpp"

#include <torch/torch.h>

#include <cmath>

#include "engine/precision.hpp"
#include "engine/trainer.hpp"
#include "lighter/args.hpp"

namespace lighter::host {

int64_t BatchLimit::of(int64_t available) const {
  if (count) return std::min(*count, available);
  return static_cast<int64_t>(std::floor(fraction * static_cast<double>(available)));
}

int64_t TrainerOptions::effective_max_epochs() const {
  if (fast_dev_run > 0) return 1;
  if (max_epochs >= 0) return max_epochs;
  return max_steps >= 0 ? std::numeric_limits<int64_t>::max() : 1000;
}

bool TrainerOptions::cuda() const {
  return accelerator == "cuda" || (accelerator == "auto" && torch::cuda::is_available());
}

int64_t TrainerOptions::devices_per_node() const {
  if (!device_ids.empty()) return static_cast<int64_t>(device_ids.size());
  const int64_t count = devices_count.value_or(1);
  if (count != -1) return count;
  if (!cuda())
    throw ParamError("trainer::devices", "devices = -1 means every GPU, and the accelerator is the CPU; "
                                         "give the number of processes instead (devices = 2 trains on two)");
  return static_cast<int64_t>(torch::cuda::device_count());
}

namespace {

Param limit(const std::string& name, const std::string& what) {
  Param p = param::any(name, Value(1.0), "how much of the " + what + " data to use: a batch count or a fraction");
  p.type = Type::Int | Type::Float;
  p.check = [](const Value& v) -> std::string {
    if (v.is_int()) return v.as_int() >= 0 ? "" : "a batch count >= 0";
    return v.as_number() >= 0.0 && v.as_number() <= 1.0 ? "" : "a fraction in [0, 1] or a batch count";
  };
  return p;
}

BatchLimit read_limit(const Args& args, const std::string& name) {
  Value v = args.get<Value>(name);
  BatchLimit limit;
  if (v.is_int()) limit.count = v.as_int();
  else limit.fraction = v.as_number();
  return limit;
}

Param at_least(Param p, int64_t minimum) {
  p.check = [minimum](const Value& v) -> std::string {
    return v.as_int() >= minimum ? "" : "an integer >= " + std::to_string(minimum);
  };
  return p;
}

std::vector<Param> trainer_params() {
  Param fast_dev_run = param::any("fast_dev_run", Value(false), "run N (true: 1) batches of each loop, write nothing");
  fast_dev_run.type = Type::Bool | Type::Int;
  Param num_threads = param::integer("num_threads", std::nullopt, "intra-op CPU threads (default: libtorch's, the physical cores)");
  num_threads.type = Type::Int | Type::Null;
  num_threads.default_value = Value();
  Param clip = param::real("gradient_clip_val", std::nullopt, "clip gradients at this value (norm or value)");
  clip.type = Type::Int | Type::Float | Type::Null;
  clip.default_value = Value();
  Param logger = param::components("logger", Kind::Logger, "true (a CSVLogger), false, a logger or a list of loggers");
  logger.type = Type::Bool | Type::Component | Type::List;
  logger.default_value = Value(true);
  Param val_check_interval = limit("val_check_interval", "training epoch between validations");
  val_check_interval.doc = "validate every N training batches (int) or every fraction of an epoch (float)";
  Param devices = param::any("devices", Value("auto"),
                             "\"auto\", a device count (-1: all) or a list of device ids (as Lightning parses them)");
  devices.type = Type::Int | Type::String | Type::List;
  devices.element_type = Type::Int;
  Param precision = param::any("precision", Value("32-true"),
                               "\"32-true\", \"16-mixed\", \"bf16-mixed\", \"16-true\", \"bf16-true\" or \"64-true\"");
  precision.type = Type::Int | Type::String;
  precision.check = [](const Value& v) -> std::string {
    const std::string text = v.is_int() ? std::to_string(v.as_int()) : v.as_string();
    return canonical_precision(text) ? ""
                                     : "one of \"32-true\", \"16-mixed\", \"bf16-mixed\", \"16-true\", \"bf16-true\", "
                                       "\"64-true\" (or Lightning's short forms 32, 16, \"bf16\", 64)";
  };
  Param strategy = param::any("strategy", Value("auto"),
                              "\"auto\", \"ddp\", \"ddp_find_unused_parameters_true\" or a "
                              "pytorch_lightning.strategies.DDPStrategy");
  strategy.type = Type::String | Type::Component;
  strategy.component_kind = Kind::Other;
  strategy.check = [](const Value& v) -> std::string { return v.is_string() ? dist::check_strategy_name(v.as_string()) : ""; };
  Param summary = param::boolean("enable_model_summary", true, "print the model summary table at the start of fit");
  summary.type = Type::Bool | Type::Null;
  Param profiler = param::string("profiler", std::nullopt,
                                 "\"simple\": time every hook and step, report at the end of the stage");
  profiler.type = Type::String | Type::Null;
  profiler.default_value = Value();
  profiler.check = [](const Value& v) -> std::string {
    return v.as_string() == "simple" ? "" : "\"simple\" or null (Lightning's advanced, pytorch and xla profilers need Python)";
  };
  Param benchmark = param::boolean("benchmark", false, "let cuDNN pick the fastest convolution algorithms (CUDA)");
  benchmark.type = Type::Bool | Type::Null;
  benchmark.default_value = Value();
  return {
      at_least(param::integer("max_epochs", -1, "stop after this many epochs (-1: 1000, or unlimited with max_steps)"), -1),
      at_least(param::integer("max_steps", -1, "stop after this many optimizer steps (-1: no limit)"), -1),
      param::choice("accelerator", {"auto", "cpu", "cuda", "gpu"}, "auto", "device type (\"gpu\" is \"cuda\")"),
      devices,
      strategy,
      at_least(param::integer("num_nodes", 1, "machines the run spans (devices processes on each)"), 1),
      precision,
      benchmark,
      limit("limit_train_batches", "training"),
      limit("limit_val_batches", "validation"),
      limit("limit_test_batches", "test"),
      limit("limit_predict_batches", "prediction"),
      fast_dev_run,
      at_least(param::integer("num_sanity_val_steps", 2, "validation batches run before training (-1: all)"), -1),
      at_least(param::integer("check_val_every_n_epoch", 1, "validate every N training epochs"), 1),
      val_check_interval,
      at_least(param::integer("accumulate_grad_batches", 1, "accumulate gradients over N batches per optimizer step"), 1),
      clip,
      param::choice("gradient_clip_algorithm", {"norm", "value"}, "norm", "clip by total norm or by value"),
      param::boolean("skip_nonfinite_grad", false,
                     "skip the optimizer step when a gradient is NaN or infinite (off: a non-finite loss stops the run)"),
      at_least(param::integer("log_every_n_steps", 50, "how often to log step values"), 1),
      param::string("default_root_dir", ".", "where lighter_logs/version_N is created"),
      param::boolean("enable_progress_bar", true, "show progress while running"),
      summary,
      profiler,
      param::boolean("deterministic", false, "use deterministic algorithms only"),
      num_threads,
      param::components("callbacks", Kind::Callback, "callbacks receiving the Lightning hooks"),
      logger,
      param::boolean("enable_checkpointing", true, "add a ModelCheckpoint (last.ckpt) when none is configured"),
  };
}

// Lightning's parse_devices: "auto", an int (-1: all), a list of ids, or a string holding
// either ("2", "0,1", "1,").
void read_devices(const Args& args, TrainerOptions& o) {
  const Value devices = args.get<Value>("devices");
  const std::string expected = "expected \"auto\", a device count >= 1 (or -1 for all) or a list of device ids >= 0";
  auto read_ids = [&](const std::vector<int64_t>& ids) {
    if (ids.empty()) args.fail("devices", "the list of device ids is empty; " + expected);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0) args.fail("devices", "device id " + std::to_string(ids[i]) + " is negative; " + expected);
      for (std::size_t j = 0; j < i; ++j)
        if (ids[j] == ids[i]) args.fail("devices", "device id " + std::to_string(ids[i]) + " is listed twice");
    }
    o.device_ids = ids;
  };
  auto read_count = [&](int64_t count) {
    if (count == 0 || count < -1) args.fail("devices", "got " + std::to_string(count) + "; " + expected);
    o.devices_count = count;
  };
  if (devices.is_int()) return read_count(devices.as_int());
  if (devices.is_array()) {
    std::vector<int64_t> ids;
    for (const auto& id : devices.as_array()) ids.push_back(id.as_int());
    return read_ids(ids);
  }
  const std::string text = devices.as_string();
  if (text == "auto") return;
  std::vector<int64_t> ids;
  std::size_t start = 0;
  const bool is_list = text.find(',') != std::string::npos;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, end - start);
    if (!part.empty()) {
      std::size_t used = 0;
      int64_t id = 0;
      try {
        id = std::stoll(part, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != part.size() || used == 0) args.fail("devices", "cannot read \"" + text + "\"; " + expected);
      ids.push_back(id);
    }
    if (end == text.size()) break;
    start = end + 1;
  }
  if (is_list) return read_ids(ids);
  if (ids.size() != 1) args.fail("devices", "cannot read \"" + text + "\"; " + expected);
  read_count(ids.front());
}

std::shared_ptr<Object> make_trainer(const Args& args) {
  TrainerOptions o;
  o.max_epochs = args.get<int64_t>("max_epochs");
  o.max_steps = args.get<int64_t>("max_steps");
  o.accelerator = args.get<std::string>("accelerator");
  if (o.accelerator == "gpu") o.accelerator = "cuda";
  read_devices(args, o);
  if (auto strategy = args.component<Object>("strategy")) {
    auto* ddp = dynamic_cast<dist::DdpStrategy*>(strategy.get());
    if (!ddp) args.fail("strategy", "expected \"auto\", \"ddp\" or a pytorch_lightning.strategies.DDPStrategy, got " + strategy->target());
    o.strategy = ddp->options();
  } else {
    o.strategy = dist::strategy_from_name(args.get<std::string>("strategy"));
  }
  o.num_nodes = args.get<int64_t>("num_nodes");
  const Value precision = args.get<Value>("precision");
  o.precision = *canonical_precision(precision.is_int() ? std::to_string(precision.as_int()) : precision.as_string());
  o.benchmark = args.get_optional<bool>("benchmark");
  o.limit_train_batches = read_limit(args, "limit_train_batches");
  o.limit_val_batches = read_limit(args, "limit_val_batches");
  o.limit_test_batches = read_limit(args, "limit_test_batches");
  o.limit_predict_batches = read_limit(args, "limit_predict_batches");
  Value fdr = args.get<Value>("fast_dev_run");
  o.fast_dev_run = fdr.is_bool() ? (fdr.as_bool() ? 1 : 0) : fdr.as_int();
  if (o.fast_dev_run < 0) args.fail("fast_dev_run", "expected true, false or a batch count >= 0");
  o.num_sanity_val_steps = args.get<int64_t>("num_sanity_val_steps");
  o.check_val_every_n_epoch = args.get<int64_t>("check_val_every_n_epoch");
  o.val_check_interval = read_limit(args, "val_check_interval");
  if (!o.val_check_interval.count && o.val_check_interval.fraction <= 0.0)
    args.fail("val_check_interval", "expected a fraction in (0, 1] or a batch count >= 1");
  if (o.val_check_interval.count && *o.val_check_interval.count < 1)
    args.fail("val_check_interval", "expected a batch count >= 1 or a fraction in (0, 1]");
  o.accumulate_grad_batches = args.get<int64_t>("accumulate_grad_batches");
  o.gradient_clip_val = args.get_optional<double>("gradient_clip_val");
  if (o.gradient_clip_val && *o.gradient_clip_val < 0) args.fail("gradient_clip_val", "expected a value >= 0");
  o.gradient_clip_algorithm = args.get<std::string>("gradient_clip_algorithm");
  o.skip_nonfinite_grad = args.get<bool>("skip_nonfinite_grad");
  o.log_every_n_steps = args.get<int64_t>("log_every_n_steps");
  o.default_root_dir = args.get<std::string>("default_root_dir");
  o.enable_progress_bar = args.get<bool>("enable_progress_bar");
  o.enable_model_summary = args.get_optional<bool>("enable_model_summary").value_or(true);
  o.simple_profiler = args.has("profiler");
  o.deterministic = args.get<bool>("deterministic");
  o.num_threads = args.get_optional<int64_t>("num_threads");
  if (o.num_threads && *o.num_threads < 1) args.fail("num_threads", "expected a thread count >= 1");
  o.callbacks = args.components<Callback>("callbacks");
  o.loggers = args.components<Logger>("logger");
  const Value logger = args.get<Value>("logger");
  o.default_logger = logger.is_bool() && logger.as_bool();
  o.enable_checkpointing = args.get<bool>("enable_checkpointing");
  return std::make_shared<PlTrainer>(std::move(o));
}

}  // namespace

ComponentInfo trainer_component() {
  ComponentInfo info;
  info.name = "pytorch_lightning.Trainer";
  info.kind = Kind::Trainer;
  info.doc = "runs fit / validate / test / predict with Lightning's semantics";
  info.params = trainer_params();
  info.factory = make_trainer;
  return info;
}

}  // namespace lighter::host
