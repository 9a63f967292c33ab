#include "lighter/dist.hpp"

#include "internal.hpp"

namespace lighter {

namespace {
internal::Collectives* g_collectives = nullptr;
bool g_pad_shards = true;
}  // namespace

void internal::set_pad_shards(bool pad) { g_pad_shards = pad; }
bool dist::pad_shards() { return g_pad_shards; }

void internal::set_collectives(Collectives* collectives) { g_collectives = collectives; }

int64_t dist::global_rank() { return g_collectives ? g_collectives->rank() : 0; }
int64_t dist::world_size() { return g_collectives ? g_collectives->size() : 1; }

void dist::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  if (g_collectives && g_collectives->size() > 1) g_collectives->all_reduce(tensor, op);
}

torch::Tensor dist::all_gather_cat(const torch::Tensor& tensor) {
  if (!g_collectives || g_collectives->size() == 1) return tensor;
  return g_collectives->all_gather_cat(tensor);
}

void dist::barrier() {
  if (g_collectives && g_collectives->size() > 1) g_collectives->barrier();
}

}  // namespace lighter
