#pragma once
// Loads the batches of one epoch on worker threads, ahead of the consumer but bounded, and
// hands them out strictly in order — the same sequence a single thread would produce.
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
  // Loads items 0..count-1 with `workers` threads, at most `capacity` items ahead of take().
  Prefetcher(Load load, int64_t count, int64_t workers, int64_t capacity);
  ~Prefetcher();  // stops loading and joins the workers
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

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
  const int64_t count_, capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  int64_t next_to_load_ = 0, next_to_take_ = 0;
  bool stopping_ = false;
  std::exception_ptr broken_;  // a worker died outside load_; take() rethrows it
  std::map<int64_t, Loaded> loaded_;
  std::vector<std::thread> workers_;
};

}  // namespace lighter::data
