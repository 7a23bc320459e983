// Tensor element encodings (spec/format.md section 6.3). Blocks are byte-compatible with ggml:
//   q8_0 block (34 bytes) = fp16 scale d, int8 q[32];           value j = q[j] * d
//   q4_0 block (18 bytes) = fp16 scale d, u8 nibbles[16];      element j < 16 = low nibble of byte j,
//                                                              element j + 16 = high nibble of byte j,
//                                                              value = (nibble - 8) * d
// The quantizers are ggml's reference ones (quantize_row_q8_0_ref / quantize_row_q4_0_ref), so a
// tensor quantized by ggml-based tools and by this library is byte-identical.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "slm/format.h"

namespace slm {

inline constexpr std::size_t kQ8_0BlockBytes = 34;
inline constexpr std::size_t kQ4_0BlockBytes = 18;

// x.size() must be a multiple of 32; out.size() must be x.size() / 32 * block bytes. Every value
// must be finite (the writers of this project only quantize finite values).
void quantize_q8_0(std::span<const float> x, std::span<std::uint8_t> out);
void quantize_q4_0(std::span<const float> x, std::span<std::uint8_t> out);
void dequantize_q8_0(std::span<const std::uint8_t> in, std::span<float> y);
void dequantize_q4_0(std::span<const std::uint8_t> in, std::span<float> y);

// Whole-tensor helpers: f32 is stored little-endian as is. elements % 32 == 0 for quantized types.
std::vector<std::uint8_t> encode_tensor(DType dtype, std::span<const float> values);
std::vector<float> decode_tensor(DType dtype, std::span<const std::uint8_t> bytes, std::uint64_t elements);

}  // namespace slm
