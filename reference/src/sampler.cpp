#include "slm/sampler.h"

#include <algorithm>
#include <cmath>

#include "slm/kernels.h"

namespace slm {

std::uint32_t Xorshift64Star::next_u32() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return static_cast<std::uint32_t>((state_ * 0x2545F4914F6CDD1Dull) >> 32);
}

float Xorshift64Star::next_f32() { return static_cast<float>(next_u32() >> 8) / 16777216.0f; }

// RT-SMP-001's loop (best = 0; x[i] > x[best] replaces it) in two vectorizable passes: with x[0]
// a number, it returns the first index of the largest number (+0 and -0 compare equal); with x[0]
// NaN, nothing is greater, so 0.
std::uint32_t argmax(const float* x, std::size_t n) {
  if (n == 0 || std::isnan(x[0])) return 0;
  const float m = max_f32(x, n);
  std::size_t i = 0;
  while (!(x[i] == m)) ++i;  // m is some x[i], a number
  return static_cast<std::uint32_t>(i);
}

// What `if (i != chosen && x[i] > r) r = x[i]` leaves from r = -inf: the largest number besides
// x[chosen], the first in index order among equals. Only +0 and -0 are equal yet tell apart, so a
// zero is looked up again.
float runner_up(const float* x, std::size_t n, std::uint32_t chosen) {
  const float before = max_f32(x, chosen), after = max_f32(x + chosen + 1, n - chosen - 1);
  float r = before < after ? after : before;
  if (r == 0.0f) {
    for (std::size_t i = 0; i < n; ++i) {
      if (i != chosen && x[i] == 0.0f) return x[i];
    }
  }
  return r;
}

std::uint32_t Sampler::sample(std::span<const float> logits, DrawTrace* trace) {
  const std::size_t n = logits.size();
  if (config_.temperature <= 0.0f) return argmax(logits.data(), n);
  probs_.resize(n);
  for (std::size_t i = 0; i < n; ++i) probs_[i] = logits[i] / config_.temperature;
  softmax(probs_.data(), n);
  const float coin = rng_.next_f32();
  // Candidates by probability, highest first; the lower index first among equal probabilities.
  order_.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) order_[i] = i;
  std::size_t kept = n;
  // A NaN (from NaN weights) ranks below every number, so the order stays a strict total order.
  const auto key = [&](std::uint32_t i) { return std::isnan(probs_[i]) ? -1.0f : probs_[i]; };
  const auto by_probability = [&](std::uint32_t a, std::uint32_t b) {
    return key(a) != key(b) ? key(a) > key(b) : a < b;
  };
  if (config_.top_k > 0 && config_.top_k < n) {
    kept = config_.top_k;
    std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(kept), order_.end(), by_probability);
  } else {
    std::sort(order_.begin(), order_.end(), by_probability);
  }
  // top-p: the shortest prefix whose cumulative probability (summed in order, f32) reaches top_p
  if (config_.top_p < 1.0f) {
    float cumulative = 0.0f;
    for (std::size_t i = 0; i < kept; ++i) {
      cumulative = cumulative + probs_[order_[i]];
      if (cumulative >= config_.top_p) {
        kept = i + 1;
        break;
      }
    }
  }
  // Inverse CDF over the kept candidates: r = coin * (their total), first one whose running sum
  // exceeds r; the last kept one if rounding leaves r uncovered.
  float total = 0.0f;
  for (std::size_t i = 0; i < kept; ++i) total = total + probs_[order_[i]];
  const float r = coin * total;
  float cdf = 0.0f;
  for (std::size_t i = 0; i < kept; ++i) {
    const float low = cdf;
    cdf = cdf + probs_[order_[i]];
    if (r < cdf || i + 1 == kept) {
      if (trace) *trace = {r, low, cdf, total};
      return order_[i];
    }
  }
  return order_[kept - 1];
}

}  // namespace slm
