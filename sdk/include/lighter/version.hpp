#pragma once
// The SDK's ABI contract. A plugin records these values at build time; the host refuses a
// plugin whose major differs or whose minor is newer than its own, and any torch or C++
// library ABI mismatch (objects cross the boundary as C++ types, so both must agree).
#include <torch/version.h>

#define LIGHTER_SDK_ABI_MAJOR 2
#define LIGHTER_SDK_ABI_MINOR 4
#define LIGHTER_VERSION_STRING "0.1.0"

#define LIGHTER_STRINGIFY_(x) #x
#define LIGHTER_STRINGIFY(x) LIGHTER_STRINGIFY_(x)

#if defined(_GLIBCXX_RELEASE)
#define LIGHTER_CXX_ABI                                                                    \
  "libstdc++" LIGHTER_STRINGIFY(_GLIBCXX_RELEASE) " cxx11-abi=" LIGHTER_STRINGIFY(           \
      _GLIBCXX_USE_CXX11_ABI) " itanium"
#else
#define LIGHTER_CXX_ABI "unknown"
#endif

#define LIGHTER_TORCH_VERSION TORCH_VERSION
