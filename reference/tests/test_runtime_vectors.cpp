// The test vectors printed in spec/runtime.md section 7, checked bit for bit.
#include <gtest/gtest.h>

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "slm/kernels.h"
#include "slm/model_file.h"
#include "slm/transformer.h"
#include "slm/xxh64.h"
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

TEST(RuntimeVectors, RopeHeadDim64AndARotation) {
  const std::uint32_t want[] = {0x3F800000, 0x3F3FF911, 0x3F0FF59A, 0x3ED7E89B, 0x3EA1E89B, 0x3E72D424, 0x3E361887,
                                0x3E088D77, 0x3DCCCCCD, 0x3D99940E, 0x3D6655C3, 0x3D2CBA15, 0x3D0186E2, 0x3CC24350,
                                0x3C91AD39, 0x3C5A7BF1, 0x3C23D70A, 0x3BF5B9B0, 0x3BB8449C, 0x3B8A2E77, 0x3B4F3E37,
                                0x3B1B690D, 0x3AE91528, 0x3AAEC98E, 0x3A83126F, 0x3A44948C, 0x3A136A16, 0x39DD1726,
                                0x39A5CB5F, 0x3978A814, 0x393A7753, 0x390BD472};
  for (unsigned j = 0; j < 32; ++j) {
    const float f = static_cast<float>(slm::math::exp(-(static_cast<double>(2 * j) / 64) * slm::math::log(10000.0)));
    EXPECT_EQ(bits(f), want[j]) << j;
  }
  const float f5 = static_cast<float>(slm::math::exp(-(10.0 / 64) * slm::math::log(10000.0)));
  const double angle = 1000.0 * static_cast<double>(f5);
  const float c = static_cast<float>(slm::math::cos(angle)), s = static_cast<float>(slm::math::sin(angle));
  EXPECT_EQ(bits(c), 0xBD587262u);
  EXPECT_EQ(bits(s), 0xBF7FA46Fu);
  const float a = 0.5f, b = -1.25f;
  EXPECT_EQ(bits(a * c - b * s), 0xBFA3288Fu);
  EXPECT_EQ(bits(a * s + b * c), 0xBEDDD290u);
}

TEST(RuntimeVectors, WholeForwardPassOnTheCommittedTinyModel) {
  auto model = slm::load_model_file(std::string(SLM_SOURCE_DIR) + "/conformance/cases/valid/tiny-all-f32/model.slm");
  ASSERT_TRUE(model.ok());
  auto transformer = slm::Transformer::create(model.value(), 0);
  ASSERT_TRUE(transformer.ok());
  const std::uint32_t first[3][4] = {{0x3F878244, 0x3F3792F0, 0xBF55333E, 0xBFB71563},
                                     {0x3DD9468E, 0xBF093A4A, 0xBC197FC0, 0xBE50D826},
                                     {0x3F374E4A, 0x3ECA5A7F, 0xBE551480, 0xBF5D8F6C}};
  const std::uint64_t per_position[3] = {0x2529b4809ee1131dull, 0x26a206c0daba6448ull, 0xb0c9f23ad8eb078full};
  slm::Xxh64 all;
  for (std::uint32_t pos = 0; pos < 3; ++pos) {
    const auto& logits = transformer.value()->forward(pos * 37 + 1, pos);
    ASSERT_EQ(logits.size(), 259u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(bits(logits[static_cast<std::size_t>(i)]), first[pos][i]) << pos << " " << i;
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(logits.data()), logits.size() * 4);
    slm::Xxh64 h;
    h.update(bytes);
    EXPECT_EQ(h.digest(), per_position[pos]);
    all.update(bytes);
  }
  EXPECT_EQ(all.digest(), 0x05795d1111ac59e7ull);
}

TEST(RuntimeVectors, RopeFrequencies) {
  const std::uint32_t want[] = {0x3F800000u, 0x3DCCCCCDu, 0x3C23D70Au, 0x3A83126Fu};
  for (unsigned j = 0; j < 4; ++j) {
    const float f = static_cast<float>(slm::math::exp(-(2.0 * j / 8) * slm::math::log(10000.0)));
    EXPECT_EQ(bits(f), want[j]) << j;
  }
}

std::vector<std::uint32_t> tokens(slm::SamplingConfig config, int count) {
  slm::Sampler sampler(config);
  std::vector<std::uint32_t> out;
  for (int t = 0; t < count; ++t) {
    std::vector<float> logits = {1.0f, 2.0f, 3.0f, 2.0f, 0.5f};
    out.push_back(sampler.sample(logits));
  }
  return out;
}

std::vector<std::uint32_t> five_tokens(slm::SamplingConfig config) { return tokens(config, 5); }

TEST(RuntimeVectors, Sampling) {
  EXPECT_EQ(five_tokens({1.0f, 0, 1.0f, 42}), (std::vector<std::uint32_t>{2, 3, 3, 0, 3}));
  EXPECT_EQ(five_tokens({1.0f, 2, 1.0f, 42}), (std::vector<std::uint32_t>{2, 1, 1, 1, 1}));
  EXPECT_EQ(five_tokens({0.5f, 0, 0.5f, 7}), (std::vector<std::uint32_t>{2, 2, 2, 2, 2}));
  EXPECT_EQ(tokens({1.5f, 0, 0.8f, 42}, 8), (std::vector<std::uint32_t>{2, 3, 3, 3, 3, 3, 2, 2}));
  EXPECT_EQ(tokens({1.0f, 2, 0.65f, 42}, 8), (std::vector<std::uint32_t>{2, 1, 1, 1, 1, 1, 2, 2}));
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
