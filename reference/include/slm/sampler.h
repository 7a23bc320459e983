// Choosing the next token from logits (spec/runtime.md, "Sampling"): greedy, or temperature with
// optional top-k and top-p, driven by llama2.c's xorshift64* generator so that a seeded run is
// reproducible by any runtime.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace slm {

struct SamplingConfig {
  float temperature = 0.0f;  // 0: greedy
  std::uint32_t top_k = 0;   // 0: no top-k filter
  float top_p = 1.0f;        // 1: no nucleus filter
  std::uint64_t seed = 0;    // 0 is replaced by kDefaultSeed (xorshift has no zero state)
};

inline constexpr std::uint64_t kDefaultSeed = 0x5EED5EED5EED5EEDull;

class Xorshift64Star {
public:
  explicit Xorshift64Star(std::uint64_t seed) : state_(seed == 0 ? kDefaultSeed : seed) {}
  std::uint32_t next_u32();
  float next_f32();  // (next_u32() >> 8) / 2^24, in [0, 1)

private:
  std::uint64_t state_;
};

// Index of the largest value; the lowest index wins ties.
std::uint32_t argmax(const float* x, std::size_t n);
// The largest x[i] for i != chosen (chosen < n), the first among equals; -inf when there is none.
// A step's runner-up logit (the margin of a greedy choice is x[chosen] - runner_up).
float runner_up(const float* x, std::size_t n, std::uint32_t chosen);

// Where a sampled draw fell: the chosen token's interval [low, high) of the running sum, and
// r = coin * total. How far r is from either end says how robust the choice is to small changes of
// the logits (a golden's "sampling slack").
struct DrawTrace {
  float r = 0, low = 0, high = 0, total = 0;
};

class Sampler {
public:
  explicit Sampler(const SamplingConfig& config) : config_(config), rng_(config.seed) {}
  // Consumes exactly one draw from the generator when temperature > 0, none when greedy.
  // `trace`, if given, receives the draw (sampled only).
  std::uint32_t sample(std::span<const float> logits, DrawTrace* trace = nullptr);

private:
  SamplingConfig config_;
  Xorshift64Star rng_;
  std::vector<float> probs_;          // sampled only: logits / T, then softmax
  std::vector<std::uint32_t> order_;  // sampled only: candidates by probability
};

}  // namespace slm
