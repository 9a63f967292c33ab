#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "engine/interrupt.hpp"
#include "plugins/boundary.hpp"

// The engine behind `lighter-host`: cli/launcher.cpp loads this library (and with it libtorch)
// after its own signal handlers are in place, then calls lighter_host_main.
namespace {

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

// `early_signal`: the SIGINT/SIGTERM the launcher caught while this library and libtorch were
// loading (0: none). Read after the engine's handlers replace the launcher's, so none is lost.
extern "C" __attribute__((visibility("default"))) int lighter_host_main(int argc, char** argv,
                                                                      const volatile std::sig_atomic_t* early_signal) {
  lighter::host::install_interrupt_handlers();
  if (early_signal && *early_signal != 0) lighter::host::note_interrupt(*early_signal);
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
