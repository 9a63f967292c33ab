#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "engine/interrupt.hpp"
#include "plugins/boundary.hpp"

namespace {

// Runs from the executable's .preinit_array, before any shared library's constructors (libtorch's
// take a noticeable part of start-up): a SIGINT/SIGTERM at start-up already sets the stop flag
// (exit 130) instead of killing the process (exit 143).
void install_handlers_before_libraries(int, char**, char**) { lighter::host::install_interrupt_handlers(); }
__attribute__((section(".preinit_array"), used)) void (*preinit_interrupt_handlers)(int, char**, char**) =
    &install_handlers_before_libraries;

// The last resort (an exception thrown by a destructor, or escaping a thread): one line, exit 1,
// never abort()'s core dump.
[[noreturn]] void report_terminate() {
  std::string what = "terminated";
  if (std::current_exception()) {
    try {
      std::rethrow_exception(std::current_exception());
    } catch (...) {
      what = lighter::host::current_exception_text();
    }
  }
  std::fputs(("error: internal error, uncaught: " + what + "\n").c_str(), stderr);
  std::fflush(stderr);
  std::_Exit(lighter::host::kExitFailure);
}

}  // namespace

int main(int argc, char** argv) {
  lighter::host::install_interrupt_handlers();
  std::set_terminate(report_terminate);
  try {
    // Every training step allocates and frees tensors of a few hundred KB (activations, gradients).
    // glibc serves blocks above M_MMAP_THRESHOLD (128 KB until a large block is freed) with a fresh
    // mmap and returns them with munmap, so each step would fault in new zeroed pages: ~50% slower
    // training measured on tools/bench. Keep such blocks in the heap, as glibc's own dynamic
    // threshold ends up doing after the first large free (its ceiling: 32 MB).
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    return lighter::host::run_cli(std::vector<std::string>(argv + 1, argv + argc));
  } catch (...) {
    std::fputs(("error: " + lighter::host::current_exception_text() + "\n").c_str(), stderr);
    return lighter::host::kExitFailure;
  }
}
