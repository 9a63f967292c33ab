#include "seeding.hpp"

#include <ATen/CPUGeneratorImpl.h>

namespace lighter::data {

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t derive_seed(uint64_t seed, uint64_t counter) { return splitmix64(seed ^ splitmix64(counter)); }

torch::Generator seeded_generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

uint64_t seed_from_default_generator() {
  return static_cast<uint64_t>(torch::empty({}, torch::kLong).random_().item<int64_t>());
}

}  // namespace lighter::data
