// q8_0 / q4_0: hand-computed blocks (ggml's reference rules) and round-trip error bounds.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cmath>
#include <cstring>

#include "slm/fp16.h"
#include "slm/quant.h"

namespace {

using Block8 = std::array<std::uint8_t, slm::kQ8_0BlockBytes>;
using Block4 = std::array<std::uint8_t, slm::kQ4_0BlockBytes>;

TEST(Quant, Q8_0HandComputedBlock) {
  // amax = 127 gives d = 1 exactly (fp16 0x3C00) and id = 1, so q = round-half-away-from-zero(x).
  std::array<float, 32> x{};
  x[0] = 127.0f;
  x[1] = -127.0f;
  x[2] = 2.5f;    // -> 3
  x[3] = -2.5f;   // -> -3
  x[4] = 0.49f;   // -> 0
  x[5] = -0.5f;   // -> -1
  x[6] = 100.4f;  // -> 100
  Block8 out{};
  slm::quantize_q8_0(x, out);
  const Block8 expected = {0x00, 0x3C, 0x7F, 0x81, 0x03, 0xFD, 0x00, 0xFF, 0x64};  // rest zero
  EXPECT_EQ(out, expected);
}

TEST(Quant, Q8_0AllZeroBlock) {
  std::array<float, 32> x{};
  Block8 out{};
  out.fill(0xEE);
  slm::quantize_q8_0(x, out);
  EXPECT_EQ(out, Block8{});  // d = 0, id = 0, every q = 0
}

TEST(Quant, Q4_0HandComputedBlock) {
  // The value of largest magnitude is -8, so d = -8 / -8 = 1 and nibble = min(15, trunc(x + 8.5)).
  std::array<float, 32> x{};
  x[0] = -8.0f;   // 0
  x[1] = 7.0f;    // 15
  x[2] = 0.5f;    // 9 (half rounds up)
  x[3] = -7.5f;   // 1
  x[4] = -7.6f;   // 0
  x[5] = 7.6f;    // 16 -> clamped to 15
  x[16] = 3.0f;   // 11, high nibble of byte 0
  x[31] = -1.0f;  // 7, high nibble of byte 15
  Block4 out{};
  slm::quantize_q4_0(x, out);
  Block4 expected{};
  expected[0] = 0x00;
  expected[1] = 0x3C;
  const int lo[16] = {0, 15, 9, 1, 0, 15, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};
  const int hi[16] = {11, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7};
  for (std::size_t j = 0; j < 16; ++j) expected[2 + j] = static_cast<std::uint8_t>(lo[j] | (hi[j] << 4));
  EXPECT_EQ(out, expected);
}

TEST(Quant, Q4_0FirstLargestMagnitudeWins) {
  // +8 comes first, so max = +8, d = -1: +8 -> nibble 0, -8 -> 16 -> clamped 15.
  std::array<float, 32> x{};
  x[0] = 8.0f;
  x[1] = -8.0f;
  Block4 out{};
  slm::quantize_q4_0(x, out);
  EXPECT_EQ(out[0] | (out[1] << 8), 0xBC00);  // fp16(-1), little-endian
  EXPECT_EQ(out[2], 0x80);                                // element 0 -> 0, element 16 (0.0) -> 8
  EXPECT_EQ(out[3] & 0x0F, 15);
}

RC_GTEST_PROP(Quant, Q8_0RoundTripWithinHalfStep, ()) {
  const auto scale = *rc::gen::element(1e-3f, 1.0f, 100.0f);
  std::array<float, 32> x{};
  for (auto& v : x) v = static_cast<float>(*rc::gen::inRange(-1000000, 1000001)) / 1000000.0f * scale;
  Block8 q{};
  slm::quantize_q8_0(x, q);
  std::array<float, 32> y{};
  slm::dequantize_q8_0(q, y);
  float amax = 0;
  for (float v : x) amax = std::max(amax, std::fabs(v));
  const float d = amax / 127.0f;
  // half a step, plus the fp16 rounding of the scale (relative 2^-11, or 2^-25 absolute where the
  // scale is an fp16 subnormal) times |q| <= 127
  const float scale_error = std::max(d / 2048.0f, std::ldexp(1.0f, -25));
  const float bound = d * 0.5f + 127.0f * scale_error + 1e-6f * scale;
  for (std::size_t j = 0; j < 32; ++j) RC_ASSERT(std::fabs(x[j] - y[j]) <= bound);
}

RC_GTEST_PROP(Quant, Q4_0RoundTripWithinOneStep, ()) {
  std::array<float, 32> x{};
  for (auto& v : x) v = static_cast<float>(*rc::gen::inRange(-1000000, 1000001)) / 1000000.0f;
  Block4 q{};
  slm::quantize_q4_0(x, q);
  std::array<float, 32> y{};
  slm::dequantize_q4_0(q, y);
  float amax = 0;
  for (float v : x) amax = std::max(amax, std::fabs(v));
  const float d = amax / 8.0f;
  // half a step, a whole step at the clamped end (+8|d| -> 15), plus fp16 rounding of the scale
  const float scale_error = std::max(d / 2048.0f, std::ldexp(1.0f, -25));
  const float bound = d + 8.0f * scale_error + 1e-6f;
  for (std::size_t j = 0; j < 32; ++j) RC_ASSERT(std::fabs(x[j] - y[j]) <= bound);
}

RC_GTEST_PROP(Quant, EncodeDecodeTensorF32IsExact, (std::vector<float> values)) {
  const auto bytes = slm::encode_tensor(slm::DType::F32, values);
  RC_ASSERT(bytes.size() == values.size() * 4);
  const auto back = slm::decode_tensor(slm::DType::F32, bytes, values.size());
  // (computed first: RC_ASSERT decomposes its expression, so || would not short-circuit)
  const bool same = values.empty() || std::memcmp(back.data(), values.data(), values.size() * 4) == 0;
  RC_ASSERT(same);
}

}  // namespace
