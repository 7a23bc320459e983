// The test vectors printed in spec/runtime.md section 7, checked bit for bit.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "slm/kernels.h"
#include "slm/math.h"
#include "slm/sampler.h"

namespace {

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(RuntimeVectors, DotUsesEightLanes) {
  const std::vector<float> a = {1e8f, 1, 1, 1, 1, 1, 1, 1, -1e8f, 1, 1, 1, 1, 1, 1, 1, 3};
  const std::vector<float> one(a.size(), 1.0f);
  EXPECT_EQ(bits(slm::dot(a.data(), one.data(), a.size())), 0x41880000u);  // 17; left to right gives 10
}

TEST(RuntimeVectors, ExpAndSilu) {
  EXPECT_EQ(bits(slm::math::exp_f32(1.0f)), 0x402DF854u);
  EXPECT_EQ(bits(slm::math::silu_f32(1.0f)), 0x3F3B26A8u);
  EXPECT_EQ(bits(slm::math::exp_f32(-2.5f)), 0x3DA81C2Eu);
  EXPECT_EQ(bits(slm::math::silu_f32(-2.5f)), 0xBE42326Bu);
  EXPECT_EQ(bits(slm::math::exp_f32(10.0f)), 0x46AC14EEu);
  EXPECT_EQ(bits(slm::math::silu_f32(10.0f)), 0x411FFE24u);
}

TEST(RuntimeVectors, RopeFrequencies) {
  const std::uint32_t want[] = {0x3F800000u, 0x3DCCCCCDu, 0x3C23D70Au, 0x3A83126Fu};
  for (unsigned j = 0; j < 4; ++j) {
    const float f = static_cast<float>(slm::math::exp(-(2.0 * j / 8) * slm::math::log(10000.0)));
    EXPECT_EQ(bits(f), want[j]) << j;
  }
}

std::vector<std::uint32_t> five_tokens(slm::SamplingConfig config) {
  slm::Sampler sampler(config);
  std::vector<std::uint32_t> out;
  for (int t = 0; t < 5; ++t) {
    std::vector<float> logits = {1.0f, 2.0f, 3.0f, 2.0f, 0.5f};
    out.push_back(sampler.sample(logits));
  }
  return out;
}

TEST(RuntimeVectors, Sampling) {
  EXPECT_EQ(five_tokens({1.0f, 0, 1.0f, 42}), (std::vector<std::uint32_t>{2, 3, 3, 0, 3}));
  EXPECT_EQ(five_tokens({1.0f, 2, 1.0f, 42}), (std::vector<std::uint32_t>{2, 1, 1, 1, 1}));
  EXPECT_EQ(five_tokens({0.5f, 0, 0.5f, 7}), (std::vector<std::uint32_t>{2, 2, 2, 2, 2}));
}

TEST(RuntimeVectors, Xorshift64Star) {
  slm::Xorshift64Star zero(0), answer(42);
  EXPECT_EQ(zero.next_u32(), 0x1DD781B8u);
  EXPECT_EQ(zero.next_u32(), 0x490821FBu);
  EXPECT_EQ(zero.next_u32(), 0xEFD7D673u);
  EXPECT_EQ(answer.next_u32(), 0x56CE4AB7u);
  EXPECT_EQ(answer.next_u32(), 0xC841EB53u);
  EXPECT_EQ(answer.next_u32(), 0xCA466BE0u);
}

}  // namespace
