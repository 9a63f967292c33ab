// Test plugin: claims an SDK ABI major version no host has, so the handshake must refuse it
// before calling any of its C++ code.
#include <lighter/plugin.hpp>

#include <cstdlib>

namespace {
void never_called(void*) { std::abort(); }
}  // namespace

extern "C" __attribute__((visibility("default"))) const lighter_plugin_descriptor* lighter_plugin_entry() {
  static const lighter_plugin_descriptor descriptor{
      sizeof(lighter_plugin_descriptor), 99, 0, LIGHTER_TORCH_VERSION, LIGHTER_CXX_ABI, "99.0.0", &never_called};
  return &descriptor;
}
