#pragma once
// Host-only entry points into the SDK library; not installed, not for plugins.
#include "lighter/dist.hpp"
#include "lighter/runtime.hpp"
#include "lighter/writer.hpp"

namespace lighter::internal {
// Adds a writer function; throws std::invalid_argument naming the clash on a duplicate name.
void register_writer(WriterFunction writer, std::string source);
void clear_writers();

// What lighter::dist calls; the host installs its process group here for a multi-process run.
class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual int64_t rank() const = 0;
  virtual int64_t size() const = 0;
  virtual void all_reduce(torch::Tensor& tensor, dist::ReduceOp op) = 0;
  virtual torch::Tensor all_gather_cat(const torch::Tensor& tensor) = 0;
  virtual void barrier() = 0;
};
// nullptr: one process. The host keeps `collectives` alive while it is installed.
void set_collectives(Collectives* collectives);
// What dist::pad_shards() answers: false while a predict stage runs.
void set_pad_shards(bool pad);
// What current_device() answers: the trainer sets it as a stage begins.
void set_current_device(torch::Device device);
}  // namespace lighter::internal
