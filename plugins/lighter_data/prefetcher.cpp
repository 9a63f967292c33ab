#include "prefetcher.hpp"

#include <stdexcept>

namespace lighter::data {

Prefetcher::Prefetcher(Load load, int64_t workers, int64_t capacity)
    : load_(std::move(load)), capacity_(std::max<int64_t>(capacity, 1)) {
  if (workers < 1) throw std::invalid_argument("Prefetcher needs at least one worker");
  try {
    for (int64_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
  } catch (...) {  // no thread to spare: a joinable std::thread must not be destroyed
    stop();
    throw;
  }
}

Prefetcher::~Prefetcher() { stop(); }

void Prefetcher::end_round() {
  std::unique_lock<std::mutex> lock(mutex_);
  count_ = next_to_load_ = next_to_take_ = 0;
  ++round_;
  ready_.wait(lock, [&] { return busy_ == 0; });
  loaded_.clear();
}

void Prefetcher::begin(int64_t count) {
  end_round();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    count_ = count;
  }
  space_.notify_all();
}

void Prefetcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  space_.notify_all();
  for (auto& worker : workers_)
    if (worker.joinable()) worker.join();
}

void Prefetcher::work() {
  // Nothing may escape a thread (std::terminate): a failure outside load_ (out of memory while
  // queueing a batch) stops the prefetcher and reaches the consumer at its next take().
  try {
    load_in_order();
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!broken_) broken_ = std::current_exception();
    }
    ready_.notify_all();
  }
}

void Prefetcher::load_in_order() {
  torch::NoGradGuard no_grad;  // grad mode is per thread; loading never needs autograd
  for (;;) {
    int64_t index;
    uint64_t round;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      space_.wait(lock, [&] { return stopping_ || (next_to_load_ < count_ && next_to_load_ < next_to_take_ + capacity_); });
      if (stopping_) return;
      index = next_to_load_++;
      round = round_;
      ++busy_;
    }
    Loaded item;
    try {
      item.batch = load_(index);
    } catch (...) {
      item.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
      if (round == round_) loaded_.emplace(index, std::move(item));
    }
    ready_.notify_all();
  }
}

Dict Prefetcher::take() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_take_ >= count_) throw std::logic_error("Prefetcher::take past the last item");
  const int64_t index = next_to_take_;
  ready_.wait(lock, [&] { return loaded_.count(index) > 0 || broken_; });
  if (!loaded_.count(index)) std::rethrow_exception(broken_);
  auto node = loaded_.extract(index);
  ++next_to_take_;
  lock.unlock();
  space_.notify_all();
  if (node.mapped().error) std::rethrow_exception(node.mapped().error);
  return std::move(node.mapped().batch);
}

}  // namespace lighter::data
