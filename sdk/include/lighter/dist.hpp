#pragma once
// The ranks of a multi-process run (torch.distributed for plugins): which rank this process
// is, and the collectives a metric needs to compute over every rank's state (SDK 2.3). In one
// process every call is a no-op or returns its input. Each rank must make the same calls in
// the same order, as with torch.distributed.
#include <torch/torch.h>

#include <cstdint>

namespace lighter::dist {

enum class ReduceOp { Sum, Min, Max };

int64_t global_rank();
int64_t world_size();
// In place, on any device: every rank ends with the elementwise reduction of all ranks' values.
void all_reduce(torch::Tensor& tensor, ReduceOp op = ReduceOp::Sum);
// Every rank's `tensor` concatenated along dim 0 in rank order; dim 0 may differ between ranks,
// the other dims and the dtype may not. (torchmetrics' gather_all_tensors + cat.)
torch::Tensor all_gather_cat(const torch::Tensor& tensor);
void barrier();

// How a loader shares an epoch's samples out in the running stage: PyTorch's DistributedSampler
// pads the order so every rank gets as many samples (fit, validate, test); for predict,
// Lightning's UnrepeatedDistributedSampler hands out every sample exactly once.
bool pad_shards();

}  // namespace lighter::dist
