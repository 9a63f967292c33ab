#include <malloc.h>

#include <string>
#include <vector>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
  // Every training step allocates and frees tensors of a few hundred KB (activations, gradients).
  // glibc serves blocks above M_MMAP_THRESHOLD (128 KB until a large block is freed) with a fresh
  // mmap and returns them with munmap, so each step would fault in new zeroed pages: ~50% slower
  // training measured on tools/bench. Keep such blocks in the heap, as glibc's own dynamic
  // threshold ends up doing after the first large free (its ceiling: 32 MB).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  return lighter::host::run_cli(std::vector<std::string>(argv + 1, argv + argc));
}
