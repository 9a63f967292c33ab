#pragma once
// Loads the batches of an epoch (a round) on worker threads, ahead of the consumer but bounded,
// and hands them out strictly in order — the same sequence a single thread would produce. The
// workers wait between rounds, so one Prefetcher can serve every epoch (persistent_workers).
#include <lighter/data.hpp>

#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace lighter::data {

class Prefetcher {
 public:
  using Load = std::function<Dict(int64_t index)>;
  // Starts `workers` threads that load at most `capacity` items ahead of take(), once begin() is called.
  Prefetcher(Load load, int64_t workers, int64_t capacity);
  ~Prefetcher();  // stops loading and joins the workers
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Ends the current round, then starts loading items 0..count-1.
  void begin(int64_t count);
  // Stops the current round: returns once no worker is inside `load`, with what was loaded and
  // not taken dropped. What `load` reads may change until the next begin().
  void end_round();
  // The next item in order; waits for it. Rethrows what loading that item threw.
  Dict take();

 private:
  struct Loaded {
    Dict batch;
    std::exception_ptr error;
  };
  void stop();  // stops loading and joins the workers
  void work();
  void load_in_order();

  Load load_;
  const int64_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  int64_t count_ = 0, next_to_load_ = 0, next_to_take_ = 0;
  uint64_t round_ = 0;  // items loaded for an ended round are dropped
  int64_t busy_ = 0;    // workers inside load_
  bool stopping_ = false;
  std::exception_ptr broken_;  // a worker died outside load_; take() rethrows it
  std::map<int64_t, Loaded> loaded_;
  std::vector<std::thread> workers_;
};

}  // namespace lighter::data
