#include "lighter/runtime.hpp"

#include "internal.hpp"

namespace lighter {

namespace {
torch::Device g_device = torch::kCPU;
}  // namespace

void internal::set_current_device(torch::Device device) { g_device = device; }
torch::Device current_device() { return g_device; }

}  // namespace lighter
