#include "dist/strategy.hpp"

#include "lighter/args.hpp"

namespace lighter::host::dist {

StrategyOptions strategy_from_name(const std::string& name) {
  StrategyOptions options;
  options.name = name == "auto" ? "auto" : "ddp";
  options.ddp.find_unused_parameters = name == "ddp_find_unused_parameters_true";
  return options;
}

std::string check_strategy_name(const std::string& name) {
  if (name == "auto" || name == "ddp" || name == "ddp_find_unused_parameters_true" ||
      name == "ddp_find_unused_parameters_false")
    return "";
  if (name.rfind("ddp_", 0) == 0)
    return "\"auto\", \"ddp\" or \"ddp_find_unused_parameters_true\" (lighter starts its ranks as processes, "
           "as Lightning's \"ddp\": use \"ddp\" instead of \"" + name + "\")";
  return "\"auto\", \"ddp\", \"ddp_find_unused_parameters_true\" or a pytorch_lightning.strategies.DDPStrategy table";
}

ComponentInfo ddp_strategy_component() {
  using namespace lighter::param;
  ComponentInfo info;
  info.name = "pytorch_lightning.strategies.DDPStrategy";
  info.kind = Kind::Other;
  info.doc = "distributed data parallel: one process per device, gradients averaged by c10d's Reducer";
  Param bucket = real("bucket_cap_mb", 25.0, "gradient bucket size in MB (DDP's bucket_cap_mb)");
  bucket.type = Type::Int | Type::Float;
  info.params = {
      real("timeout", 1800.0, "seconds a collective (or the rendezvous) may wait for the other ranks"),
      boolean("find_unused_parameters", false, "allow parameters that get no gradient in a step"),
      boolean("gradient_as_bucket_view", false, "gradients are views into the all-reduce buckets (saves memory)"),
      bucket,
      boolean("broadcast_buffers", true, "copy rank 0's buffers (BatchNorm statistics) to every rank before each forward"),
      string("process_group_backend", "gloo", "\"gloo\" (lighter's process group backend)"),
  };
  info.factory = [](const Args& a) -> ObjectPtr {
    StrategyOptions o;
    o.name = "ddp";
    const double timeout = a.get<double>("timeout");
    if (!(timeout >= 1)) a.fail("timeout", "expected a number of seconds >= 1");
    o.timeout = std::chrono::seconds(static_cast<int64_t>(timeout));
    o.ddp.find_unused_parameters = a.get<bool>("find_unused_parameters");
    o.ddp.gradient_as_bucket_view = a.get<bool>("gradient_as_bucket_view");
    o.ddp.bucket_cap_mb = a.get<double>("bucket_cap_mb");
    if (!(o.ddp.bucket_cap_mb > 0)) a.fail("bucket_cap_mb", "expected a size in MB > 0");
    o.ddp.broadcast_buffers = a.get<bool>("broadcast_buffers");
    if (a.get<std::string>("process_group_backend") != "gloo")
      a.fail("process_group_backend", "expected \"gloo\"; this build of lighter has only Gloo (NCCL is not wired yet)");
    return std::make_shared<DdpStrategy>(o);
  };
  return info;
}

}  // namespace lighter::host::dist
