// Where a process sits in a multi-process run, read from torchrun's, SLURM's and lighter's own
// environment variables (core/dist/cluster.cpp).
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "dist/cluster.hpp"

using lighter::host::dist::ClusterEnv;
using lighter::host::dist::first_slurm_host;
using lighter::host::dist::read_cluster_env;
using Catch::Contains;

namespace {
ClusterEnv read(const std::map<std::string, std::string>& vars, int64_t devices, int64_t nodes = 1) {
  return read_cluster_env(devices, nodes, [&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}
}  // namespace

TEST_CASE("cluster: lighter's launcher (no variables) starts the local ranks on a free port") {
  const ClusterEnv env = read({}, 2);
  CHECK(env.source == ClusterEnv::Source::Lighter);
  CHECK(env.world_size == 2);
  CHECK(env.global_rank == 0);
  CHECK(env.starts_local_ranks());
  CHECK(env.master_addr == "127.0.0.1");
  CHECK(env.master_port == 0);
  CHECK_FALSE(read({}, 1).starts_local_ranks());
  CHECK(read({}, 1).world_size == 1);
}

TEST_CASE("cluster: a started local rank and the second node compute their global rank") {
  const ClusterEnv child = read({{"LOCAL_RANK", "1"}, {"MASTER_PORT", "1234"}}, 2);
  CHECK(child.global_rank == 1);
  CHECK_FALSE(child.starts_local_ranks());
  CHECK(child.master_port == 1234);
  const ClusterEnv node = read({{"NODE_RANK", "1"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "10.0.0.1"}}, 2, 2);
  CHECK(node.global_rank == 3);
  CHECK(node.world_size == 4);
  CHECK(node.master_addr == "10.0.0.1");
  CHECK(node.master_port == 29500);  // several nodes need an agreed port: torch's default
  CHECK_THROWS_WITH(read({{"NODE_RANK", "2"}}, 1, 2), Contains("NODE_RANK=2") && Contains("num_nodes = 2"));
  CHECK_THROWS_WITH(read({{"LOCAL_RANK", "2"}}, 2), Contains("LOCAL_RANK=2"));
  CHECK_THROWS_WITH(read({{"LOCAL_RANK", "-1"}}, 2), Contains("LOCAL_RANK='-1'"));
  CHECK_THROWS_WITH(read({{"MASTER_PORT", "http"}}, 2), Contains("MASTER_PORT='http'"));
}

TEST_CASE("cluster: torchrun's variables") {
  const std::map<std::string, std::string> vars = {{"RANK", "3"},       {"GROUP_RANK", "1"},        {"LOCAL_RANK", "1"},
                                                   {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "node7"},
                                                   {"MASTER_PORT", "29400"}};
  const ClusterEnv env = read(vars, 2, 2);
  CHECK(env.source == ClusterEnv::Source::Torchrun);
  CHECK(env.global_rank == 3);
  CHECK(env.local_rank == 1);
  CHECK(env.node_rank == 1);
  CHECK(env.master_addr == "node7");
  CHECK(env.master_port == 29400);
  CHECK_FALSE(env.starts_local_ranks());
  CHECK_THROWS_WITH(read(vars, 2, 1), Contains("torchrun started 4 processes") && Contains("1 x 2 = 2"));
  // Not torchrun without all of its variables: RANK alone is lighter's launcher.
  CHECK(read({{"RANK", "0"}}, 1).source == ClusterEnv::Source::Lighter);
}

TEST_CASE("cluster: SLURM's variables, the first host of the node list, Lightning's default port") {
  const std::map<std::string, std::string> vars = {{"SLURM_NTASKS", "4"},   {"SLURM_PROCID", "2"},
                                                   {"SLURM_LOCALID", "0"},  {"SLURM_NODEID", "1"},
                                                   {"SLURM_JOB_ID", "1234567"}, {"SLURM_NODELIST", "gpu[03-04,07],cpu1"},
                                                   {"SLURM_JOB_NAME", "train"}};
  const ClusterEnv env = read(vars, 2, 2);
  CHECK(env.source == ClusterEnv::Source::Slurm);
  CHECK(env.global_rank == 2);
  CHECK(env.local_rank == 0);
  CHECK(env.node_rank == 1);
  CHECK(env.world_size == 4);
  CHECK(env.master_addr == "gpu03");
  CHECK(env.master_port == 15000 + 4567);
  CHECK_THROWS_WITH(read(vars, 1, 2), Contains("SLURM started 4 processes"));
  auto interactive = vars;
  interactive["SLURM_JOB_NAME"] = "bash";
  CHECK(read(interactive, 1).source == ClusterEnv::Source::Lighter);  // an interactive shell is not a SLURM job step
  CHECK(first_slurm_host("node1") == "node1");
  CHECK(first_slurm_host("node[1-3]") == "node1");
  CHECK(first_slurm_host("a,b") == "a");
  CHECK(first_slurm_host("rack[7],x") == "rack7");
}
