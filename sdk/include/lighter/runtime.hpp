#pragma once
// Where the running stage computes (SDK 2.4): the trainer's device (cuda:LOCAL_RANK on GPUs,
// else the CPU), so a component can prepare its data there before the steps ask for it (the
// DataLoader's on_device). The CPU outside a stage.
#include <torch/torch.h>

namespace lighter {

torch::Device current_device();

}  // namespace lighter
