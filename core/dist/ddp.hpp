#pragma once
// PyTorch's DistributedDataParallel without its Python wrapper: the model is replicated on
// every rank (rank 0's weights broadcast at the start) and c10d::Reducer averages the gradients
// in buckets while the backward pass runs. The trainer calls before_forward() and
// before_backward() around training_step, as DDP's forward() does around the module's.
#include <torch/torch.h>

#include <memory>
#include <vector>

namespace c10d {
class Reducer;
}

namespace lighter::host::dist {

class Session;

struct DdpOptions {
  bool find_unused_parameters = false;
  bool gradient_as_bucket_view = false;
  double bucket_cap_mb = 25;
  bool broadcast_buffers = true;
};

class Ddp {
 public:
  Ddp(Session& session, torch::nn::Module& module, DdpOptions options);
  ~Ddp();
  Ddp(const Ddp&) = delete;
  Ddp& operator=(const Ddp&) = delete;

  // Before a training forward pass that will be followed by a backward. `sync`: this backward
  // all-reduces (false on the micro-batches gradient accumulation keeps local: DDP's no_sync).
  void before_forward(bool sync);
  void before_backward(const torch::Tensor& loss, bool sync);

 private:
  void build_reducer();

  Session& session_;
  torch::nn::Module& module_;
  DdpOptions options_;
  std::vector<bool> trainable_;  // requires_grad of every parameter when the reducer was built
  std::unique_ptr<c10d::Reducer> reducer_;
};

// Copies rank 0's parameters and buffers to every rank (DDP's _sync_module_states).
void broadcast_module(Session& session, torch::nn::Module& module);
// True when every rank holds the same weights as rank 0 (bit for bit); a collective.
bool replicas_identical(Session& session, torch::nn::Module& module);

}  // namespace lighter::host::dist
