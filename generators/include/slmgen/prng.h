// SplitMix64: the generators' only source of randomness (spec/generators.md), so any language can
// reproduce a generated file from its seed.
#pragma once
#include <cstdint>

namespace slmgen {

class SplitMix64 {
public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1): the top 24 bits as a fraction, exact in f32.
  float symmetric() { return static_cast<float>(next() >> 40) * (1.0f / 8388608.0f) - 1.0f; }

private:
  std::uint64_t state_;
};

}  // namespace slmgen
