#include "dist/session.hpp"

#include <spdlog/spdlog.h>

#include "dist/c10d.hpp"

namespace lighter::host::dist {

namespace {

c10d::ReduceOp to_c10d(lighter::dist::ReduceOp op) {
  switch (op) {
    case lighter::dist::ReduceOp::Min: return c10d::ReduceOp::MIN;
    case lighter::dist::ReduceOp::Max: return c10d::ReduceOp::MAX;
    default: return c10d::ReduceOp::SUM;
  }
}

std::string first_line(const std::string& text) {
  const size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

}  // namespace

Session::Session(const ClusterEnv& env, std::chrono::seconds timeout) : env_(env), timeout_(timeout) {
  const std::string where = env_.master_addr + ":" + std::to_string(env_.master_port);
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(env_.master_port);
    options.isServer = env_.global_rank == 0;
    options.numWorkers = static_cast<std::size_t>(env_.world_size);
    options.waitWorkers = true;
    options.timeout = timeout_;
    handles_ = std::make_unique<c10d_compat::Handles>();
    handles_->store = c10::make_intrusive<c10d::TCPStore>(env_.master_addr, options);
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    // On one machine the ranks meet on the loopback device; across machines on the address the
    // host name resolves to (as torch.distributed's default).
    const std::string device = interface ? "" : (is_loopback(env_.master_addr) ? "127.0.0.1" : "");
    handles_->group = c10d_compat::make_gloo_group(handles_->store, static_cast<int>(env_.global_rank), static_cast<int>(env_.world_size),
                                          timeout_, device);
  } catch (const std::exception& e) {
    const std::string cause = first_line(dynamic_cast<const c10::Error*>(&e)
                                             ? dynamic_cast<const c10::Error*>(&e)->what_without_backtrace()
                                             : std::string(e.what()));
    throw std::runtime_error(
        "DDP: rank " + std::to_string(env_.global_rank) + " of " + std::to_string(env_.world_size) +
        " could not join the others at MASTER_ADDR:MASTER_PORT = " + where + " (" + env_.source_name() +
        " environment) within " + std::to_string(timeout_.count()) + " s: " + cause +
        ". Check that every rank was started and that the port is free (set MASTER_PORT to another one), "
        "or raise trainer::strategy's timeout");
  }
  spdlog::debug("DDP: rank {} of {} joined at {} (Gloo)", env_.global_rank, env_.world_size, where);
}

Session::~Session() {
  if (handles_ && handles_->pending_flag) {
    try {
      handles_->pending_flag->wait();
    } catch (...) {  // a peer is gone: nothing left to agree on
    }
  }
}

void Session::fail(const char* what, const std::string& cause) const {
  throw std::runtime_error(
      std::string("DDP: ") + what + " failed on rank " + std::to_string(env_.global_rank) + " of " +
      std::to_string(env_.world_size) + ": another rank stopped, failed or did not answer within the timeout (" +
      std::to_string(timeout_.count()) + " s; trainer::strategy's timeout). The cause the process group saw: " +
      first_line(cause));
}

void Session::all_reduce(torch::Tensor& tensor, lighter::dist::ReduceOp op) {
  guard("an all-reduce", [&] {
    const bool copy = !tensor.is_cpu() || !tensor.is_contiguous();
    std::vector<torch::Tensor> tensors{copy ? tensor.to(torch::kCPU).contiguous() : tensor};
    c10d::AllreduceOptions options;
    options.reduceOp = to_c10d(op);
    handles_->group->allreduce(tensors, options)->wait();
    if (copy) tensor.copy_(tensors[0]);
  });
}

torch::Tensor Session::all_gather_cat(const torch::Tensor& tensor) {
  return guard("an all-gather", [&] {
    torch::Tensor local = tensor.to(torch::kCPU).contiguous();
    // The ranks' row counts, then every rank's rows padded to the longest.
    torch::Tensor rows = torch::zeros({size()}, torch::kLong);
    rows[rank()] = local.dim() == 0 ? 1 : local.size(0);
    std::vector<torch::Tensor> counts{rows};
    handles_->group->allreduce(counts)->wait();
    const int64_t longest = rows.max().item<int64_t>();
    if (local.dim() == 0) local = local.reshape({1});
    std::vector<int64_t> shape = local.sizes().vec();
    shape[0] = longest;
    torch::Tensor padded = torch::zeros(shape, local.options());
    padded.narrow(0, 0, local.size(0)).copy_(local);
    std::vector<std::vector<torch::Tensor>> outputs(1);
    for (int64_t r = 0; r < size(); ++r) outputs[0].push_back(torch::empty(shape, local.options()));
    std::vector<torch::Tensor> inputs{padded};
    handles_->group->allgather(outputs, inputs)->wait();
    std::vector<torch::Tensor> parts;
    for (int64_t r = 0; r < size(); ++r) parts.push_back(outputs[0][r].narrow(0, 0, rows[r].item<int64_t>()));
    return torch::cat(parts).to(tensor.device());
  });
}

void Session::barrier() {
  guard("a barrier", [&] { handles_->group->barrier()->wait(); });
}

void Session::broadcast(const std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  guard("the broadcast of rank 0's weights", [&] {
    // 250 MB per message, as DDP's _sync_module_states.
    c10d::broadcast_coalesced(handles_->group, tensors, 250 * 1024 * 1024, 0);
  });
}

bool Session::any(bool flag) {
  torch::Tensor value = torch::tensor({flag ? 1 : 0}, torch::kInt);
  all_reduce(value, lighter::dist::ReduceOp::Max);
  return value.item<int>() != 0;
}

bool Session::any_deferred(bool flag, bool last) {
  return guard("an all-reduce of the ranks' stop flags", [&] {
    c10d_compat::Handles& h = *handles_;
    bool answer = false;
    auto collect = [&] {
      if (!h.pending_flag) return;
      h.pending_flag->wait();
      h.pending_flag = {};
      answer = answer || h.pending_value.item<int>() != 0;
    };
    collect();
    h.pending_value = torch::tensor({flag ? 1 : 0}, torch::kInt);
    std::vector<torch::Tensor> tensors{h.pending_value};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::MAX;
    h.pending_flag = h.group->allreduce(tensors, options);
    if (last) collect();
    return answer;
  });
}

std::string Session::share(const std::string& name, const std::string& value) {
  return guard("sharing rank 0's choices", [&] {
    const std::string key = "lighter/" + name + "/" + std::to_string(shared_++);
    if (rank() == 0) {
      handles_->store->set(key, std::vector<uint8_t>(value.begin(), value.end()));
      return value;
    }
    const std::vector<uint8_t> bytes = handles_->store->get(key);
    return std::string(bytes.begin(), bytes.end());
  });
}

}  // namespace lighter::host::dist
