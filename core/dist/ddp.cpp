#include "dist/ddp.hpp"

#include "dist/c10d.hpp"
#include "dist/session.hpp"

namespace lighter::host::dist {

namespace {

constexpr int64_t kFirstBucketBytes = 1024 * 1024;  // torch.distributed's _DEFAULT_FIRST_BUCKET_BYTES

std::vector<bool> trainable_of(torch::nn::Module& module) {
  std::vector<bool> out;
  for (const auto& p : module.parameters()) out.push_back(p.requires_grad());
  return out;
}

}  // namespace

void broadcast_module(Session& session, torch::nn::Module& module) {
  std::vector<torch::Tensor> tensors;
  torch::NoGradGuard no_grad;
  for (const auto& p : module.parameters()) tensors.push_back(p.detach());
  for (const auto& b : module.buffers()) tensors.push_back(b.detach());
  session.broadcast(tensors);
}

bool replicas_identical(Session& session, torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat;
  for (const auto& p : module.parameters()) flat.push_back(p.detach().reshape({-1}).to(torch::kCPU, torch::kDouble));
  if (flat.empty()) return true;
  torch::Tensor mine = torch::cat(flat);
  torch::Tensor lowest = mine.clone(), highest = mine.clone();
  session.all_reduce(lowest, lighter::dist::ReduceOp::Min);
  session.all_reduce(highest, lighter::dist::ReduceOp::Max);
  return torch::equal(lowest, highest);
}

Ddp::Ddp(Session& session, torch::nn::Module& module, DdpOptions options)
    : session_(session), module_(module), options_(options) {
  build_reducer();
}

Ddp::~Ddp() = default;

void Ddp::build_reducer() {
  reducer_.reset();
  trainable_ = trainable_of(module_);
  std::vector<at::Tensor> params;
  for (const auto& p : module_.parameters())
    if (p.requires_grad()) params.push_back(p);
  if (params.empty()) return;
  const auto bucket_bytes = static_cast<int64_t>(options_.bucket_cap_mb * 1024 * 1024);
  session_.guard("setting up DDP's gradient buckets", [&] {
    auto [buckets, limits] = c10d::compute_bucket_assignment_by_size(
        params, {static_cast<size_t>(kFirstBucketBytes), static_cast<size_t>(bucket_bytes)},
        std::vector<bool>(params.size(), false));
    // As DDP: buckets in reverse order, the order gradients become ready in the backward pass.
    std::reverse(buckets.begin(), buckets.end());
    std::reverse(limits.begin(), limits.end());
    reducer_ = c10d_compat::make_reducer(params, buckets, limits, session_.handles().group, bucket_bytes,
                                         options_.find_unused_parameters, options_.gradient_as_bucket_view,
                                         kFirstBucketBytes);
  });
}

void Ddp::before_forward(bool sync) {
  // A callback (Freezer) may have frozen or unfrozen parameters since the last step; every rank
  // does the same, so every rank rebuilds here. (PyTorch's DDP would stop with an error.)
  if (trainable_of(module_) != trainable_) build_reducer();
  session_.guard("DDP's forward preparation", [&] {
    if (reducer_ && sync) {
      reducer_->prepare_for_forward();
      reducer_->rebuild_buckets();
    }
    if (options_.broadcast_buffers) {
      std::vector<torch::Tensor> buffers;
      for (const auto& b : module_.buffers()) buffers.push_back(b.detach());
      if (!buffers.empty()) session_.broadcast(buffers);
    }
  });
}

void Ddp::before_backward(const torch::Tensor& loss, bool sync) {
  if (!reducer_ || !sync) return;
  session_.guard("DDP's backward preparation", [&] {
    reducer_->prepare_for_backward(options_.find_unused_parameters ? std::vector<at::Tensor>{loss}
                                                                   : std::vector<at::Tensor>{});
  });
}

}  // namespace lighter::host::dist
