#pragma once
// Where this process sits in a multi-process run, read from the environment as Lightning's
// cluster environments read it: torchrun's (TorchElasticEnvironment), SLURM's
// (SLURMEnvironment), or lighter's own launcher (LightningEnvironment: the first process starts
// the other local ranks with LOCAL_RANK, NODE_RANK, MASTER_ADDR and MASTER_PORT set).
#include <cstdint>
#include <functional>
#include <string>

namespace lighter::host::dist {

struct ClusterEnv {
  enum class Source { Lighter, Torchrun, Slurm };
  Source source = Source::Lighter;
  int64_t global_rank = 0;
  int64_t local_rank = 0;
  int64_t node_rank = 0;
  int64_t world_size = 1;
  int64_t local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0: not chosen yet (lighter's launcher picks a free port)
  // Lighter's launcher, first process of its node: it starts local ranks 1..local_world_size-1.
  bool starts_local_ranks() const { return source == Source::Lighter && local_rank == 0 && local_world_size > 1; }
  const char* source_name() const;
};

using Getenv = std::function<const char*(const char*)>;

// `devices` processes per node on `num_nodes` nodes. Throws std::invalid_argument with the
// variable and the fix when the environment and the config disagree (torchrun started 4
// processes, the config asks for 2) or a variable is malformed.
ClusterEnv read_cluster_env(int64_t devices, int64_t num_nodes, const Getenv& getenv);
ClusterEnv read_cluster_env(int64_t devices, int64_t num_nodes);

// SLURM's compact host lists: "node[01-04,07],gpu1" -> "node01".
std::string first_slurm_host(const std::string& nodelist);

}  // namespace lighter::host::dist
