// binary16 conversions: IEEE 754 known values, exhaustive decode/round-trip, and nearest-even rounding
// checked against a reference computed independently in double arithmetic.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "slm/fp16.h"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

float float_from_bits(std::uint32_t bits) { return std::bit_cast<float>(bits); }

bool half_is_nan(std::uint16_t h) { return (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0; }

// Value of a non-NaN half straight from the IEEE 754 definition.
double decode_reference(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1F;
  const int mantissa = h & 0x03FF;
  double magnitude;
  if (exponent == 0x1F) {
    magnitude = kInf;
  } else if (exponent == 0) {
    magnitude = std::ldexp(mantissa, -24);
  } else {
    magnitude = std::ldexp(1024 + mantissa, exponent - 25);
  }
  return (h & 0x8000) != 0 ? -magnitude : magnitude;
}

// The binary16 value nearest to finite x, ties to even, +-inf past the overflow threshold. Scaling by a
// power of two and nearbyint (default mode: to nearest, ties to even) are exact in double for any float.
double nearest_half_reference(double x) {
  int binary_exponent = 0;
  std::frexp(x, &binary_exponent);  // |x| = m * 2^binary_exponent, m in [0.5, 1)
  const int exponent = std::max(binary_exponent - 1, -14);  // subnormals share 2^-14's spacing
  const double spacing = std::ldexp(1.0, exponent - 10);
  const double rounded = std::nearbyint(std::fabs(x) / spacing) * spacing;
  return std::copysign(rounded > 65504.0 ? kInf : rounded, x);
}

void check_is_nearest_half(float value) {
  const std::uint16_t h = slm::fp32_to_fp16(value);
  if (std::isnan(value)) {
    RC_ASSERT(half_is_nan(h));
    RC_ASSERT(((h & 0x8000) != 0) == std::signbit(value));
    return;
  }
  RC_ASSERT(!half_is_nan(h));
  const double expected = nearest_half_reference(value);
  const double got = decode_reference(h);
  RC_ASSERT(got == expected);
  RC_ASSERT(std::signbit(got) == std::signbit(value));  // includes -0 for negatives that round to zero
}

}  // namespace

TEST(Fp16Known, EncodeExactValues) {
  EXPECT_EQ(slm::fp32_to_fp16(1.0f), 0x3C00u);
  EXPECT_EQ(slm::fp32_to_fp16(-2.0f), 0xC000u);
  EXPECT_EQ(slm::fp32_to_fp16(0.5f), 0x3800u);
  EXPECT_EQ(slm::fp32_to_fp16(65504.0f), 0x7BFFu);                 // largest finite half
  EXPECT_EQ(slm::fp32_to_fp16(std::ldexp(1.0f, -14)), 0x0400u);    // smallest normal
  EXPECT_EQ(slm::fp32_to_fp16(std::ldexp(1023.0f, -24)), 0x03FFu); // largest subnormal
  EXPECT_EQ(slm::fp32_to_fp16(std::ldexp(1.0f, -24)), 0x0001u);    // smallest subnormal
  EXPECT_EQ(slm::fp32_to_fp16(0.0f), 0x0000u);
  EXPECT_EQ(slm::fp32_to_fp16(-0.0f), 0x8000u);
}

TEST(Fp16Known, EncodeOverflowAndSpecials) {
  EXPECT_EQ(slm::fp32_to_fp16(65519.996f), 0x7BFFu);  // just below the tie still rounds down
  EXPECT_EQ(slm::fp32_to_fp16(65520.0f), 0x7C00u);     // tie between 65504 (odd) and 2^16 goes to inf
  EXPECT_EQ(slm::fp32_to_fp16(-65520.0f), 0xFC00u);
  EXPECT_EQ(slm::fp32_to_fp16(1.0e10f), 0x7C00u);
  EXPECT_EQ(slm::fp32_to_fp16(std::numeric_limits<float>::max()), 0x7C00u);
  EXPECT_EQ(slm::fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00u);
  EXPECT_EQ(slm::fp32_to_fp16(-std::numeric_limits<float>::infinity()), 0xFC00u);
  EXPECT_EQ(slm::fp32_to_fp16(std::numeric_limits<float>::denorm_min()), 0x0000u);
  EXPECT_EQ(slm::fp32_to_fp16(-std::numeric_limits<float>::denorm_min()), 0x8000u);
}

TEST(Fp16Known, EncodeTiesToEven) {
  // Normal range: 1 + 2^-11 is halfway between 0x3C00 (even) and 0x3C01; 1 + 3*2^-11 between 0x3C01 and 0x3C02.
  EXPECT_EQ(slm::fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00u);
  EXPECT_EQ(slm::fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02u);
  EXPECT_EQ(slm::fp32_to_fp16(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3C01u);
  // Rounding up out of a binade carries into the exponent: 1 - 2^-12 lies between 0x3BFF (odd) and 1.0.
  EXPECT_EQ(slm::fp32_to_fp16(1.0f - std::ldexp(1.0f, -12)), 0x3C00u);
  // Subnormal range: 2^-25 is halfway between 0 (even) and 0x0001; 3*2^-25 between 0x0001 and 0x0002.
  EXPECT_EQ(slm::fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000u);
  EXPECT_EQ(slm::fp32_to_fp16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001u);
  EXPECT_EQ(slm::fp32_to_fp16(std::ldexp(3.0f, -25)), 0x0002u);
  EXPECT_EQ(slm::fp32_to_fp16(-std::ldexp(1.0f, -25)), 0x8000u);
  // The top subnormal rounds up into the smallest normal: 1023.5 * 2^-24 lies between 0x03FF (odd) and 0x0400.
  EXPECT_EQ(slm::fp32_to_fp16(std::ldexp(2047.0f, -25)), 0x0400u);
}

TEST(Fp16Known, EncodeNaNStaysQuietNaN) {
  EXPECT_EQ(slm::fp32_to_fp16(std::numeric_limits<float>::quiet_NaN()), 0x7E00u);
  EXPECT_EQ(slm::fp32_to_fp16(float_from_bits(0xFFC00000u)), 0xFE00u);
  // A signalling NaN whose payload lives only in the dropped low bits must not turn into inf.
  EXPECT_EQ(slm::fp32_to_fp16(float_from_bits(0x7F800001u)), 0x7E00u);
  // The top payload bits are kept.
  EXPECT_EQ(slm::fp32_to_fp16(float_from_bits(0x7FFFE000u)), 0x7FFFu);
  EXPECT_EQ(slm::fp32_to_fp16(float_from_bits(0x7F802000u)), 0x7E01u);
}

TEST(Fp16Known, DecodeValues) {
  EXPECT_EQ(slm::fp16_to_fp32(0x3C00), 1.0f);
  EXPECT_EQ(slm::fp16_to_fp32(0xC000), -2.0f);
  EXPECT_EQ(slm::fp16_to_fp32(0x3555), 0.333251953125f);
  EXPECT_EQ(slm::fp16_to_fp32(0x7BFF), 65504.0f);
  EXPECT_EQ(slm::fp16_to_fp32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(slm::fp16_to_fp32(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(slm::fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(std::bit_cast<std::uint32_t>(slm::fp16_to_fp32(0x8000)), 0x80000000u);
  EXPECT_EQ(slm::fp16_to_fp32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(slm::fp16_to_fp32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(slm::fp16_to_fp32(0x7E00)));
  EXPECT_TRUE(std::isnan(slm::fp16_to_fp32(0x7C01)));  // signalling half NaN decodes to NaN, not inf
}

TEST(Fp16Exhaustive, DecodeMatchesDefinition) {
  for (std::uint32_t i = 0; i <= 0xFFFF; ++i) {
    const auto h = static_cast<std::uint16_t>(i);
    const float f = slm::fp16_to_fp32(h);
    if (half_is_nan(h)) {
      const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
      ASSERT_TRUE(std::isnan(f)) << std::hex << i;
      ASSERT_EQ((bits >> 13) & 0x03FF, h & 0x03FFu) << std::hex << i;  // payload kept
      ASSERT_EQ(bits >> 31, static_cast<std::uint32_t>(h >> 15)) << std::hex << i;
    } else {
      ASSERT_EQ(static_cast<double>(f), decode_reference(h)) << std::hex << i;
      ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << i;
    }
  }
}

TEST(Fp16Exhaustive, EveryNonNaNHalfRoundTrips) {
  for (std::uint32_t i = 0; i <= 0xFFFF; ++i) {
    const auto h = static_cast<std::uint16_t>(i);
    if (half_is_nan(h)) continue;
    ASSERT_EQ(slm::fp32_to_fp16(slm::fp16_to_fp32(h)), h) << std::hex << i;
  }
}

TEST(Fp16Exhaustive, NaNHalvesRoundTripAsQuietNaN) {
  for (std::uint32_t i = 0; i <= 0xFFFF; ++i) {
    const auto h = static_cast<std::uint16_t>(i);
    if (!half_is_nan(h)) continue;
    ASSERT_EQ(slm::fp32_to_fp16(slm::fp16_to_fp32(h)), h | 0x0200u) << std::hex << i;
  }
}

// Any float bit pattern: fp32 subnormals, huge values, infinities and NaNs included.
RC_GTEST_PROP(Fp16Rounding, ArbitraryFloatRoundsToNearestHalf, (std::uint32_t bits)) {
  check_is_nearest_half(float_from_bits(bits));
}

// Floats concentrated where halves live (2^-27 .. 2^17), where rounding decisions actually happen.
RC_GTEST_PROP(Fp16Rounding, HalfRangeFloatRoundsToNearestHalf, (bool negative, std::uint32_t mantissa)) {
  const auto exponent = *rc::gen::inRange<std::uint32_t>(127 - 27, 127 + 17);
  const std::uint32_t bits = (negative ? 0x80000000u : 0u) | (exponent << 23) | (mantissa & 0x007FFFFFu);
  check_is_nearest_half(float_from_bits(bits));
}

// Exact midpoints between adjacent finite halves must go to the one with an even mantissa.
RC_GTEST_PROP(Fp16Rounding, MidpointsGoToEven, (bool negative)) {
  const auto lower = *rc::gen::inRange<std::uint16_t>(0x0000, 0x7BFF);  // lower + 1 is still finite
  const double midpoint = (decode_reference(lower) + decode_reference(static_cast<std::uint16_t>(lower + 1))) / 2;
  const auto value = static_cast<float>(negative ? -midpoint : midpoint);  // exact: at most 12 significant bits
  const std::uint16_t even = (lower & 1) == 0 ? lower : static_cast<std::uint16_t>(lower + 1);
  RC_ASSERT(slm::fp32_to_fp16(value) == static_cast<std::uint16_t>(even | (negative ? 0x8000 : 0)));
}
