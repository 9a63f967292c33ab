// `lighter-host` itself: a small program without libtorch. It installs the SIGINT/SIGTERM
// handlers, then loads the engine library (which pulls in libtorch: most of the start-up time)
// and runs it. A signal while libtorch loads is therefore a stop request (exit 130), as
// everywhere else, instead of killing the process (exit 143).
#include <dlfcn.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

#ifndef LIGHTER_ENGINE_NAME
#define LIGHTER_ENGINE_NAME "liblighter_host_engine.so"
#endif
#ifndef LIGHTER_ENGINE_RELDIR  // from the installed executable's folder
#define LIGHTER_ENGINE_RELDIR "../lib"
#endif

namespace {

constexpr int kExitFailure = 1;  // as engine/exit codes: a failure that is not the config's

volatile std::sig_atomic_t g_early_signal = 0;

void on_early_signal(int signal) {
  if (g_early_signal != 0) return;  // the engine decides about repeats once it runs
  g_early_signal = signal;
  static const char message[] = "\n[warning] interrupt received: stopping before the run starts\n";
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, sizeof(message) - 1);
}

void install_early_handlers(int = 0, char** = nullptr, char** = nullptr) {
  std::signal(SIGINT, on_early_signal);
  std::signal(SIGTERM, on_early_signal);
}
// From the .preinit_array: before libstdc++'s initialisers, a millisecond or so after exec.
__attribute__((section(".preinit_array"), used)) void (*preinit_early_handlers)(int, char**, char**) = &install_early_handlers;

std::string executable_dir() {
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  std::string exe(path, static_cast<size_t>(n));
  const auto slash = exe.rfind('/');
  return slash == std::string::npos ? "." : exe.substr(0, slash);
}

}  // namespace

int main(int argc, char** argv) {
  install_early_handlers();

  // The build tree keeps the engine next to the executable; an installation in its libdir.
  const std::string dir = executable_dir();
  std::string errors;
  void* engine = nullptr;
  for (const std::string& candidate : {dir + "/" + LIGHTER_ENGINE_NAME, dir + "/" + LIGHTER_ENGINE_RELDIR + "/" + LIGHTER_ENGINE_NAME}) {
    if (::access(candidate.c_str(), F_OK) != 0) {
      errors += "\n  " + candidate + ": not there";
      continue;
    }
    // RTLD_GLOBAL: the plugins the engine loads later see its symbols, as they would an executable's.
    // RTLD_LAZY: binding all of libtorch's symbols up front (RTLD_NOW) costs ~0.08 s of start-up.
    engine = ::dlopen(candidate.c_str(), RTLD_LAZY | RTLD_GLOBAL);
    if (engine) break;
    const char* why = ::dlerror();
    errors += "\n  " + candidate + ": " + (why ? why : "cannot be loaded");
  }
  if (!engine) {
    std::fprintf(stderr, "error: lighter-host cannot load its engine library %s; looked for:%s\n", LIGHTER_ENGINE_NAME,
                 errors.c_str());
    return kExitFailure;
  }
  using EngineMain = int (*)(int, char**, const volatile std::sig_atomic_t*);
  auto engine_main = reinterpret_cast<EngineMain>(::dlsym(engine, "lighter_host_main"));
  if (!engine_main) {
    std::fprintf(stderr, "error: %s has no lighter_host_main: is it a lighter engine of another version?\n", LIGHTER_ENGINE_NAME);
    return kExitFailure;
  }
  return engine_main(argc, argv, &g_early_signal);
}
