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

std::uint32_t argmax(const float* x, std::size_t n) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  return static_cast<std::uint32_t>(best);
}

std::uint32_t Sampler::sample(std::vector<float>& logits, DrawTrace* trace) {
  const std::size_t n = logits.size();
  if (config_.temperature <= 0.0f) return argmax(logits.data(), n);
  for (auto& l : logits) l = l / config_.temperature;
  softmax(logits.data(), n);
  const float coin = rng_.next_f32();
  // Candidates by probability, highest first; the lower index first among equal probabilities.
  order_.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) order_[i] = i;
  std::size_t kept = n;
  // A NaN (from NaN weights) ranks below every number, so the order stays a strict total order.
  const auto key = [&](std::uint32_t i) { return std::isnan(logits[i]) ? -1.0f : logits[i]; };
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
      cumulative = cumulative + logits[order_[i]];
      if (cumulative >= config_.top_p) {
        kept = i + 1;
        break;
      }
    }
  }
  // Inverse CDF over the kept candidates: r = coin * (their total), first one whose running sum
  // exceeds r; the last kept one if rounding leaves r uncovered.
  float total = 0.0f;
  for (std::size_t i = 0; i < kept; ++i) total = total + logits[order_[i]];
  const float r = coin * total;
  float cdf = 0.0f;
  for (std::size_t i = 0; i < kept; ++i) {
    const float low = cdf;
    cdf = cdf + logits[order_[i]];
    if (r < cdf || i + 1 == kept) {
      if (trace) *trace = {r, low, cdf, total};
      return order_[i];
    }
  }
  return order_[kept - 1];
}

}  // namespace slm
