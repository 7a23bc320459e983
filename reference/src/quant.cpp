#include "slm/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "slm/bytes.h"
#include "slm/fp16.h"

namespace slm {
namespace {

// The inverse scale. 1/d overflows to inf when d is tiny (|d| < 2^-126 or so); such a block's fp16
// scale is 0 anyway, so its quants are set to 0 too (ggml's reference would convert inf to int8,
// which C++ leaves undefined).
float inverse_scale(float d) {
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  return std::isfinite(id) ? id : 0.0f;
}

}  // namespace

void quantize_q8_0(std::span<const float> x, std::span<std::uint8_t> out) {
  for (std::size_t b = 0; b < x.size() / kBlockSize; ++b) {
    const float* v = x.data() + b * kBlockSize;
    std::uint8_t* block = out.data() + b * kQ8_0BlockBytes;
    float amax = 0.0f;
    for (std::size_t j = 0; j < kBlockSize; ++j) amax = std::max(amax, std::fabs(v[j]));
    const float d = amax / 127.0f;
    const float id = inverse_scale(d);  // the inverse of the f32 scale, not of its fp16 rounding
    store_u16(block, fp32_to_fp16(d));
    for (std::size_t j = 0; j < kBlockSize; ++j) {
      block[2 + j] = static_cast<std::uint8_t>(static_cast<std::int8_t>(std::round(v[j] * id)));  // half away from 0
    }
  }
}

void quantize_q4_0(std::span<const float> x, std::span<std::uint8_t> out) {
  for (std::size_t b = 0; b < x.size() / kBlockSize; ++b) {
    const float* v = x.data() + b * kBlockSize;
    std::uint8_t* block = out.data() + b * kQ4_0BlockBytes;
    // The signed value of largest magnitude (first one wins ties) maps to -8.
    float amax = 0.0f, max = 0.0f;
    for (std::size_t j = 0; j < kBlockSize; ++j) {
      if (amax < std::fabs(v[j])) {
        amax = std::fabs(v[j]);
        max = v[j];
      }
    }
    const float d = max / -8.0f;
    const float id = inverse_scale(d);
    store_u16(block, fp32_to_fp16(d));
    for (std::size_t j = 0; j < kBlockSize / 2; ++j) {
      // + 8.5 then truncation toward zero = round half up of (x*id + 8); clamp 16 to 15.
      const int lo = std::min(15, static_cast<int>(static_cast<std::int8_t>(v[j] * id + 8.5f)));
      const int hi = std::min(15, static_cast<int>(static_cast<std::int8_t>(v[j + 16] * id + 8.5f)));
      block[2 + j] = static_cast<std::uint8_t>(lo | (hi << 4));
    }
  }
}

void dequantize_q8_0(std::span<const std::uint8_t> in, std::span<float> y) {
  for (std::size_t b = 0; b < y.size() / kBlockSize; ++b) {
    const std::uint8_t* block = in.data() + b * kQ8_0BlockBytes;
    const float d = fp16_to_fp32(load_u16(block));
    for (std::size_t j = 0; j < kBlockSize; ++j) {
      y[b * kBlockSize + j] = static_cast<float>(static_cast<std::int8_t>(block[2 + j])) * d;
    }
  }
}

void dequantize_q4_0(std::span<const std::uint8_t> in, std::span<float> y) {
  for (std::size_t b = 0; b < y.size() / kBlockSize; ++b) {
    const std::uint8_t* block = in.data() + b * kQ4_0BlockBytes;
    const float d = fp16_to_fp32(load_u16(block));
    for (std::size_t j = 0; j < kBlockSize / 2; ++j) {
      y[b * kBlockSize + j] = static_cast<float>((block[2 + j] & 0x0F) - 8) * d;
      y[b * kBlockSize + j + 16] = static_cast<float>((block[2 + j] >> 4) - 8) * d;
    }
  }
}

std::vector<std::uint8_t> encode_tensor(DType dtype, std::span<const float> values) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(dtype_bytes(dtype, values.size())));
  switch (dtype) {
    case DType::F32:
      if (!out.empty()) std::memcpy(out.data(), values.data(), out.size());  // no memcpy from nullptr
      break;
    case DType::Q8_0: quantize_q8_0(values, out); break;
    case DType::Q4_0: quantize_q4_0(values, out); break;
  }
  return out;
}

std::vector<float> decode_tensor(DType dtype, std::span<const std::uint8_t> bytes, std::uint64_t elements) {
  std::vector<float> out(static_cast<std::size_t>(elements));
  switch (dtype) {
    case DType::F32:
      if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * 4);
      break;
    case DType::Q8_0: dequantize_q8_0(bytes, out); break;
    case DType::Q4_0: dequantize_q4_0(bytes, out); break;
  }
  return out;
}

}  // namespace slm
