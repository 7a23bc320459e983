// binary32 <-> binary16 by integer bit manipulation only, so every target (native, wasm32) agrees
// bit for bit regardless of F16C availability or the host's floating-point environment.
#include "slm/fp16.h"

#include <bit>
#include <cstring>

namespace slm {
namespace {

constexpr std::uint32_t kF32ExpMask = 0x7F800000;
constexpr std::uint32_t kF32Smallest16Normal = 0x38800000;  // 2^-14
constexpr std::uint32_t kF32Overflow = 0x477FF000;          // 65520, the tie between 65504 (odd) and 2^16
constexpr std::uint32_t kRebias = (127 - 15) << 23;         // exponent bias difference, in fp32 position

// memcpy rather than std::bit_cast: emscripten's bundled libc++ does not provide bit_cast yet.
std::uint32_t bits_of(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float float_of(std::uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace

std::uint16_t fp32_to_fp16(float value) {
  const std::uint32_t bits = bits_of(value);
  const std::uint32_t sign = (bits >> 16) & 0x8000;
  const std::uint32_t magnitude = bits & 0x7FFFFFFF;

  if (magnitude > kF32ExpMask) {
    // NaN: force the quiet bit so a signalling payload whose top bits are zero cannot become inf.
    return static_cast<std::uint16_t>(sign | 0x7E00 | ((magnitude >> 13) & 0x03FF));
  }
  if (magnitude >= kF32Overflow) return static_cast<std::uint16_t>(sign | 0x7C00);

  if (magnitude >= kF32Smallest16Normal) {
    // Round the 13 dropped mantissa bits to nearest even; a carry correctly bumps the exponent.
    const std::uint32_t rounded = magnitude + 0x0FFF + ((magnitude >> 13) & 1);
    return static_cast<std::uint16_t>(sign | ((rounded - kRebias) >> 13));
  }

  // Result is subnormal (or zero): the half's mantissa is value * 2^24, rounded to nearest even.
  const std::uint32_t exponent = magnitude >> 23;
  const std::uint32_t shift = 126 - exponent;  // value * 2^24 == significand >> shift, exponent <= 112
  if (shift > 24) return static_cast<std::uint16_t>(sign);  // below 2^-25: rounds to zero
  const std::uint32_t significand = (magnitude & 0x007FFFFF) | 0x00800000;
  const std::uint32_t halfway = 1U << (shift - 1);
  const std::uint32_t remainder = significand & ((1U << shift) - 1);
  std::uint32_t mantissa = significand >> shift;
  if (remainder > halfway || (remainder == halfway && (mantissa & 1) != 0)) ++mantissa;
  return static_cast<std::uint16_t>(sign | mantissa);  // mantissa 0x400 is the smallest normal, as wanted
}

float fp16_to_fp32(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1F;
  const std::uint32_t mantissa = half & 0x03FFU;

  std::uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | kF32ExpMask | (mantissa << 13);  // inf, or NaN with its payload kept
  } else if (exponent != 0) {
    bits = sign | ((exponent << 23) + kRebias) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: value = mantissa * 2^-24 = 2^(top - 24) * 1.f, a normal fp32.
    const auto top = static_cast<std::uint32_t>(std::bit_width(mantissa)) - 1;
    bits = sign | ((top + 127 - 24) << 23) | ((mantissa << (23 - top)) & 0x007FFFFF);
  }
  return float_of(bits);
}

}  // namespace slm
