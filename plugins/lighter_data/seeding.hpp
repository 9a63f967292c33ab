#pragma once
// Derived seeds: every epoch and every batch gets its own generator, computed from the loader's
// seed alone, so data order and random transforms do not depend on threads or on resuming.
#include <torch/torch.h>

#include <cstdint>

namespace lighter::data {

// Combines a seed with a counter (epoch, batch index) into a well-spread new seed.
uint64_t derive_seed(uint64_t seed, uint64_t counter);
torch::Generator seeded_generator(uint64_t seed);
// A seed drawn from torch's default CPU generator (seeded by the host from the config's `seed`),
// as Python's DataLoader draws its base seed.
uint64_t seed_from_default_generator();

}  // namespace lighter::data
