#pragma once
// One rank's membership in a multi-process run: the TCPStore rendezvous and a Gloo process
// group (c10d), with the collectives the trainer, the loaders and the metrics use. Every c10d
// failure (a peer that died, a timeout, a rendezvous that never completes) comes out as a
// std::runtime_error that says what happened, never as an abort.
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dist/cluster.hpp"
#include "internal.hpp"

namespace lighter::host::c10d_compat {
struct Handles;  // the store and the process group (dist/c10d.hpp)
}

namespace lighter::host::dist {

class Session : public lighter::internal::Collectives {
 public:
  // Blocks until all `env.world_size` ranks have joined, or `timeout` passes.
  Session(const ClusterEnv& env, std::chrono::seconds timeout);
  ~Session() override;

  int64_t rank() const override { return env_.global_rank; }
  int64_t size() const override { return env_.world_size; }
  const ClusterEnv& env() const { return env_; }
  std::chrono::seconds timeout() const { return timeout_; }
  const c10d_compat::Handles& handles() const { return *handles_; }

  void all_reduce(torch::Tensor& tensor, lighter::dist::ReduceOp op) override;
  torch::Tensor all_gather_cat(const torch::Tensor& tensor) override;
  void barrier() override;
  // any() with one call of delay, so waiting for the answer overlaps the caller's work: the
  // answer for this call's flag comes from the next call; `last` also waits for this one.
  // Every rank must make the same calls.
  bool any_deferred(bool flag, bool last);
  // Rank 0's values of `tensors` on every rank, in place (weights and buffers at the start).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // True on every rank when `flag` is true on any (a stop request, an interrupt).
  bool any(bool flag);
  // Rank 0's `value` on every rank (the run directory it created).
  std::string share(const std::string& name, const std::string& value);
  // Runs a c10d call; a c10::Error becomes one clear std::runtime_error about `what`.
  template <class Body>
  auto guard(const char* what, Body&& body) -> decltype(body());

 private:
  [[noreturn]] void fail(const char* what, const std::string& cause) const;

  ClusterEnv env_;
  std::chrono::seconds timeout_;
  std::unique_ptr<c10d_compat::Handles> handles_;
  int64_t shared_ = 0;
};

template <class Body>
auto Session::guard(const char* what, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const c10::Error& e) {
    fail(what, e.what_without_backtrace());
  } catch (const std::exception& e) {  // gloo's own IoException, a std::runtime_error
    if (std::string(e.what()).rfind("DDP: ", 0) == 0) throw;  // already said by an inner guard
    fail(what, e.what());
  }
}

}  // namespace lighter::host::dist
