// IEEE 754 binary16 <-> binary32 conversion, as used by q8_0/q4_0 block scales.
// fp32_to_fp16 rounds to nearest, ties to even (the rounding of F16C and of ggml's software path);
// overflow gives +-inf, NaN stays NaN (quiet, payload's top bits kept). fp16_to_fp32 is exact.
#pragma once
#include <cstdint>

namespace slm {

std::uint16_t fp32_to_fp16(float value);
float fp16_to_fp32(std::uint16_t half);

}  // namespace slm
