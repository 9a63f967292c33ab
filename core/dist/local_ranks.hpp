#pragma once
// Lightning's subprocess launcher: the first process of a node runs the same command line again
// for local ranks 1..N-1, with the rank in the environment, and waits for them.
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace lighter::host::dist {

// A free TCP port on this machine, for MASTER_PORT when none is set.
int free_port();

class LocalRanks {
 public:
  LocalRanks() = default;
  LocalRanks(const LocalRanks&) = delete;
  LocalRanks& operator=(const LocalRanks&) = delete;
  // Stops (SIGTERM, then SIGKILL) ranks still running: the job failed here.
  ~LocalRanks();

  // Starts this program (/proc/self/exe) with this process's arguments once per local rank in
  // [1, count), each with `env` plus LOCAL_RANK set. Throws std::runtime_error naming what failed.
  void start(int64_t count, const std::map<std::string, std::string>& env);
  // Waits for every started rank; a rank that failed while this one succeeded makes the job
  // fail: returns the first non-zero exit code (128 + signal for a killed rank), else 0.
  int wait();
  bool empty() const { return pids_.empty(); }

 private:
  std::vector<pid_t> pids_;
};

}  // namespace lighter::host::dist
