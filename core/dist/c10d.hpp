#pragma once
// The c10d calls lighter makes, in one place: libtorch 1.13's ProcessGroupGloo is itself a
// ProcessGroup; 2.x splits it into a Backend registered on a ProcessGroup, and its Reducer takes
// more arguments.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <torch/version.h>

#include <chrono>
#include <memory>
#include <utility>
#include <string>
#include <vector>

namespace lighter::host::c10d_compat {

using Group = c10::intrusive_ptr<c10d::ProcessGroup>;

// ProcessGroup::Work in 1.13, c10d::Work in 2.x.
using Work = decltype(std::declval<c10d::ProcessGroup&>().barrier());

struct Handles {
  c10::intrusive_ptr<c10d::Store> store;
  Group group;
  Work pending_flag;           // Session::any_deferred's all-reduce in flight
  torch::Tensor pending_value;
};

inline Group make_gloo_group(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                             std::chrono::milliseconds timeout, const std::string& interface_or_host) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(interface_or_host.empty()
                                 ? c10d::ProcessGroupGloo::createDefaultDevice()
                                 : c10d::ProcessGroupGloo::createDeviceForHostname(interface_or_host));
  options->threads = 2;  // what torch.distributed gives Gloo
#if TORCH_VERSION_MAJOR >= 2
  auto backend = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
  auto group = c10::make_intrusive<c10d::ProcessGroup>(store, rank, size);
  group->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
  group->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO, backend);
  group->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::GLOO, backend);
  return group;
#else
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
#endif
}

inline std::unique_ptr<c10d::Reducer> make_reducer(const std::vector<at::Tensor>& params,
                                                   const std::vector<std::vector<size_t>>& buckets,
                                                   const std::vector<size_t>& bucket_limits, const Group& group,
                                                   int64_t bucket_bytes, bool find_unused, bool as_bucket_view,
                                                   int64_t first_bucket_bytes) {
  const std::vector<bool> sparse(params.size(), false);
#if TORCH_VERSION_MAJOR >= 2
  (void)bucket_limits;
  return std::make_unique<c10d::Reducer>(params, buckets, group, sparse, bucket_bytes, find_unused, as_bucket_view,
                                         std::unordered_map<size_t, std::string>{}, first_bucket_bytes,
                                         /*skip_all_reduce_unused_params=*/false, /*use_python_reducer=*/false,
                                         std::vector<int64_t>{});
#else
  return std::make_unique<c10d::Reducer>(params, buckets, bucket_limits, group, sparse, bucket_bytes, find_unused,
                                         as_bucket_view, std::unordered_map<size_t, std::string>{},
                                         first_bucket_bytes);
#endif
}

}  // namespace lighter::host::c10d_compat
