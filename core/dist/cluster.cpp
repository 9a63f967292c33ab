#include "dist/cluster.hpp"

#include <cstdlib>
#include <stdexcept>

namespace lighter::host::dist {

namespace {

class Env {
 public:
  explicit Env(const Getenv& getenv) : getenv_(getenv) {}
  bool has(const char* name) const { return getenv_(name) != nullptr; }
  std::string text(const char* name, const std::string& fallback = "") const {
    const char* value = getenv_(name);
    return value ? value : fallback;
  }
  int64_t integer(const char* name, int64_t fallback, int64_t minimum = 0) const {
    const char* value = getenv_(name);
    if (!value) return fallback;
    size_t used = 0;
    int64_t out = -1;
    try {
      out = std::stoll(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != std::string(value).size() || out < minimum)
      throw std::invalid_argument(std::string("environment variable ") + name + "='" + value +
                                  "' is not an integer >= " + std::to_string(minimum));
    return out;
  }

 private:
  const Getenv& getenv_;
};

void check_world(const ClusterEnv& env, int64_t devices, int64_t num_nodes, const std::string& launcher) {
  if (env.world_size != devices * num_nodes)
    throw std::invalid_argument(launcher + " started " + std::to_string(env.world_size) +
                                " processes (WORLD_SIZE), but trainer::num_nodes x trainer::devices = " +
                                std::to_string(num_nodes) + " x " + std::to_string(devices) + " = " +
                                std::to_string(devices * num_nodes) + "; make them agree");
  if (env.global_rank >= env.world_size)
    throw std::invalid_argument(launcher + " gave rank " + std::to_string(env.global_rank) + " of a world of " +
                                std::to_string(env.world_size));
}

int port_of(const Env& e, int fallback) { return static_cast<int>(e.integer("MASTER_PORT", fallback, 1)); }

}  // namespace

const char* ClusterEnv::source_name() const {
  switch (source) {
    case Source::Torchrun: return "torchrun";
    case Source::Slurm: return "SLURM";
    default: return "lighter";
  }
}

std::string first_slurm_host(const std::string& nodelist) {
  // The first entry ends at the first comma outside brackets.
  size_t end = 0;
  int depth = 0;
  for (; end < nodelist.size(); ++end) {
    if (nodelist[end] == '[') ++depth;
    if (nodelist[end] == ']') --depth;
    if (nodelist[end] == ',' && depth == 0) break;
  }
  const std::string first = nodelist.substr(0, end);
  const size_t open = first.find('[');
  if (open == std::string::npos) return first;
  std::string range = first.substr(open + 1);
  range = range.substr(0, range.find_first_of(",]"));
  return first.substr(0, open) + range.substr(0, range.find('-'));
}

ClusterEnv read_cluster_env(int64_t devices, int64_t num_nodes, const Getenv& getenv) {
  const Env e(getenv);
  ClusterEnv env;
  if (e.has("RANK") && e.has("GROUP_RANK") && e.has("LOCAL_RANK") && e.has("LOCAL_WORLD_SIZE")) {
    env.source = ClusterEnv::Source::Torchrun;
    env.global_rank = e.integer("RANK", 0);
    env.local_rank = e.integer("LOCAL_RANK", 0);
    env.node_rank = e.integer("GROUP_RANK", 0);
    env.world_size = e.integer("WORLD_SIZE", 1, 1);
    env.local_world_size = e.integer("LOCAL_WORLD_SIZE", 1, 1);
    env.master_addr = e.text("MASTER_ADDR", "127.0.0.1");
    env.master_port = port_of(e, 29500);
    check_world(env, devices, num_nodes, "torchrun");
    return env;
  }
  const std::string job_name = e.text("SLURM_JOB_NAME");
  if (e.has("SLURM_NTASKS") && e.has("SLURM_PROCID") && job_name != "bash" && job_name != "interactive") {
    env.source = ClusterEnv::Source::Slurm;
    env.global_rank = e.integer("SLURM_PROCID", 0);
    env.local_rank = e.integer("SLURM_LOCALID", 0);
    env.node_rank = e.integer("SLURM_NODEID", 0);
    env.world_size = e.integer("SLURM_NTASKS", 1, 1);
    env.local_world_size = devices;
    env.master_addr = e.text("MASTER_ADDR", first_slurm_host(e.text("SLURM_NODELIST", "127.0.0.1")));
    // Lightning's default port: 15000 + the last four digits of the job id.
    const int64_t job = e.integer("SLURM_JOB_ID", 0);
    env.master_port = port_of(e, static_cast<int>(15000 + job % 10000));
    check_world(env, devices, num_nodes, "SLURM");
    return env;
  }
  env.world_size = devices * num_nodes;
  env.local_world_size = devices;
  env.node_rank = e.integer("NODE_RANK", 0);
  env.local_rank = e.integer("LOCAL_RANK", 0);
  if (env.node_rank >= num_nodes)
    throw std::invalid_argument("NODE_RANK=" + std::to_string(env.node_rank) + " but trainer::num_nodes = " +
                                std::to_string(num_nodes) + " (node ranks are 0 to num_nodes - 1)");
  if (env.local_rank >= devices)
    throw std::invalid_argument("LOCAL_RANK=" + std::to_string(env.local_rank) + " but trainer::devices = " +
                                std::to_string(devices));
  env.global_rank = env.node_rank * devices + env.local_rank;
  env.master_addr = e.text("MASTER_ADDR", "127.0.0.1");
  // More than one node needs an agreed port; one node picks a free one when none is set.
  env.master_port = port_of(e, num_nodes > 1 ? 29500 : 0);
  return env;
}

ClusterEnv read_cluster_env(int64_t devices, int64_t num_nodes) {
  return read_cluster_env(devices, num_nodes, [](const char* name) { return std::getenv(name); });
}

}  // namespace lighter::host::dist
