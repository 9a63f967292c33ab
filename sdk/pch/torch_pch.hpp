// Precompiled header: libtorch's headers dominate compile time, so every target that includes
// them compiles them once here.
#include <torch/torch.h>
