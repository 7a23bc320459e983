#include "slm/kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "slm/bytes.h"
#include "slm/fp16.h"
#include "slm/math.h"
#include "slm/quant.h"
#include "check.h"
#include "kernels_avx2.h"
#include "kernels_wasm.h"

namespace slm {

namespace {

// Eight lanes as two 4-lane GCC/Clang vectors (16 bytes: SSE, NEON and wasm-simd128 registers, and
// no ABI questions), lowered to SIMD or scalar code; the arithmetic and its order are the same.
typedef float Lanes4 __attribute__((vector_size(16)));

struct Lanes {
  Lanes4 lo = {}, hi = {};  // lanes 0-3 and 4-7

  void add_products(const float* a, const float* b) {  // lane j += a[j] * b[j], j = 0..7
    Lanes4 a0, a1, b0, b1;
    __builtin_memcpy(&a0, a, 16);
    __builtin_memcpy(&a1, a + 4, 16);
    __builtin_memcpy(&b0, b, 16);
    __builtin_memcpy(&b1, b + 4, 16);
    lo += a0 * b0;
    hi += a1 * b1;
  }
  void add(const float* a) {
    Lanes4 a0, a1;
    __builtin_memcpy(&a0, a, 16);
    __builtin_memcpy(&a1, a + 4, 16);
    lo += a0;
    hi += a1;
  }
  void add_to_lane(std::size_t j, float v) {  // clang cannot bind a reference to a vector element
    if (j < 4) lo[j] += v;
    else hi[j - 4] += v;
  }
  // ((acc0 + acc4) + (acc2 + acc6)) + ((acc1 + acc5) + (acc3 + acc7))
  float combine() const { return ((lo[0] + hi[0]) + (lo[2] + hi[2])) + ((lo[1] + hi[1]) + (lo[3] + hi[3])); }
};

// Accumulates a[i] * b[i] into lane (offset + i) mod 8; offset is a multiple of 8 for every caller.
void accumulate(Lanes& acc, const float* a, const float* b, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) acc.add_products(a + i, b + i);
  for (; i < n; ++i) acc.add_to_lane(i % 8, a[i] * b[i]);
}

}  // namespace

float portable::dot(const float* a, const float* b, std::size_t n) {
  Lanes acc;
  accumulate(acc, a, b, n);
  return acc.combine();
}

float dot(const float* a, const float* b, std::size_t n) {
  if constexpr (wasm::available()) return wasm::dot(a, b, n);
  return avx2::available() ? avx2::dot(a, b, n) : portable::dot(a, b, n);
}

float sum(const float* a, std::size_t n) {
  Lanes acc;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) acc.add(a + i);
  for (; i < n; ++i) acc.add_to_lane(i % 8, a[i]);
  return acc.combine();
}

void dequantize_row(const TensorView& w, std::uint64_t row, float* out) {
  const std::uint64_t cols = w.entry->dims[w.entry->rank - 1];
  const std::size_t n = static_cast<std::size_t>(cols);
  const std::size_t row_bytes = static_cast<std::size_t>(dtype_bytes(w.entry->dtype, cols));
  const auto bytes = w.bytes.subspan(static_cast<std::size_t>(row) * row_bytes, row_bytes);
  switch (w.entry->dtype) {
    case DType::F32: __builtin_memcpy(out, bytes.data(), n * 4); break;
    case DType::Q8_0: dequantize_q8_0(bytes, {out, n}); break;
    case DType::Q4_0: dequantize_q4_0(bytes, {out, n}); break;
  }
}

void matvec(const TensorView& w, const float* x, float* out) { matvec_rows(w, x, out, 0, w.entry->dims[0]); }

void matvec_rows(const TensorView& w, const float* x, float* out, std::uint64_t row_begin, std::uint64_t row_end) {
  const std::size_t cols = static_cast<std::size_t>(w.entry->dims[w.entry->rank - 1]);
  if (w.entry->dtype == DType::F32) {
    const float* m = reinterpret_cast<const float*>(w.bytes.data());  // file offsets are 64-aligned
    if constexpr (wasm::available()) {
      return wasm::matvec_f32(m + row_begin * cols, static_cast<std::size_t>(row_end - row_begin), cols, x, out + row_begin);
    }
    const auto rows = static_cast<std::size_t>(row_end - row_begin);
    // several rows at once: one row's eight lanes are one chain of dependent adds, too few to
    // keep the adders busy (single-row dot() ran at a third of llama2.c -Ofast on one core)
    if (avx2::available()) return avx2::matmul_f32(m + row_begin * cols, rows, cols, x, cols, 1, out + row_begin, rows);
    for (std::uint64_t r = row_begin; r < row_end; ++r) out[r] = dot(m + r * cols, x, cols);
    return;
  }
  // The wasm kernel does whole matrices; the wasm32 build has no threads, so it always gets one.
  if constexpr (wasm::available()) {
    if (row_begin == 0 && row_end == w.entry->dims[0]) return wasm::matvec_quantized(w, x, out);
  }
  if (avx2::available()) return avx2::matvec_quantized(w, x, out, row_begin, row_end);
  portable::matvec_quantized(w, x, out, row_begin, row_end);
}

namespace {

// out[t * out_stride + r] = dot(m + r * cols, x + t * x_stride, cols) for r < rows, t < n.
void matmul_f32(const float* m, std::size_t rows, std::size_t cols, const float* x, std::size_t x_stride, std::size_t n,
                float* out, std::size_t out_stride) {
  if (avx2::available()) return avx2::matmul_f32(m, rows, cols, x, x_stride, n, out, out_stride);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t t = 0; t < n; ++t) out[t * out_stride + r] = dot(m + r * cols, x + t * x_stride, cols);
  }
}

}  // namespace

void matmul_rows(const TensorView& w, const float* x, std::size_t x_stride, std::size_t n, float* out, std::size_t out_stride,
                 std::uint64_t row_begin, std::uint64_t row_end, float* scratch) {
  const std::size_t cols = static_cast<std::size_t>(w.entry->dims[w.entry->rank - 1]);
  if (n == 1) return matvec_rows(w, x, out, row_begin, row_end);  // one vector: the matvec kernels
  if (w.entry->dtype == DType::F32) {
    const float* m = reinterpret_cast<const float*>(w.bytes.data());
    return matmul_f32(m + row_begin * cols, static_cast<std::size_t>(row_end - row_begin), cols, x, x_stride, n,
                      out + row_begin, out_stride);
  }
  // Quantized: a few rows at a time dequantized exactly as matvec does it (spec/format.md 6.3: q * d,
  // (nibble - 8) * d, one f32 product each), then the f32 products and sums of dot() on them.
  for (std::uint64_t r = row_begin; r < row_end; r += kMatmulScratchRows) {
    const std::size_t rows = static_cast<std::size_t>(std::min<std::uint64_t>(kMatmulScratchRows, row_end - r));
    for (std::size_t i = 0; i < rows; ++i) dequantize_row(w, r + i, scratch + i * cols);
    matmul_f32(scratch, rows, cols, x, x_stride, n, out + r, out_stride);
  }
}

void portable::matvec_quantized(const TensorView& w, const float* x, float* out, std::uint64_t row_begin,
                                std::uint64_t row_end) {
  const std::uint64_t rows = std::min(row_end, w.entry->dims[0]);
  const std::size_t cols = static_cast<std::size_t>(w.entry->dims[w.entry->rank - 1]);
  // Quantized: one block of 32 values at a time, dequantized exactly as spec/format.md 6.3 says
  // (q * d, (nibble - 8) * d, each an f32 product) and then accumulated in dot()'s lane order.
  const bool q8 = w.entry->dtype == DType::Q8_0;
  const std::size_t block_bytes = q8 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
  const std::size_t blocks = cols / kBlockSize, row_bytes = blocks * block_bytes;
  float block[kBlockSize];
  for (std::uint64_t r = row_begin; r < rows; ++r) {
    const std::uint8_t* q = w.bytes.data() + r * row_bytes;
    Lanes acc;
    for (std::size_t b = 0; b < blocks; ++b, q += block_bytes) {
      const float d = fp16_to_fp32(load_u16(q));
      if (q8) {
        for (std::size_t j = 0; j < kBlockSize; ++j) block[j] = static_cast<float>(static_cast<std::int8_t>(q[2 + j])) * d;
      } else {
        for (std::size_t j = 0; j < kBlockSize / 2; ++j) {
          block[j] = static_cast<float>((q[2 + j] & 0x0F) - 8) * d;
          block[j + 16] = static_cast<float>((q[2 + j] >> 4) - 8) * d;
        }
      }
      accumulate(acc, block, x + b * kBlockSize, kBlockSize);
    }
    out[r] = acc.combine();
  }
}

void rmsnorm(float* o, const float* x, const float* w, std::size_t n, float eps) {
  float ss = dot(x, x, n);
  // An f32 division by n as an f32 (exact up to 2^24); test-only fault: the misreading ss * (1/n).
  ss = fault_active("rmsnorm-reciprocal") ? ss * (1.0f / static_cast<float>(n)) : ss / static_cast<float>(n);
  ss = ss + eps;
  const float inv = 1.0f / std::sqrt(ss);  // sqrt is correctly rounded in IEEE 754
  for (std::size_t i = 0; i < n; ++i) o[i] = w[i] * (inv * x[i]);
}

void softmax(float* x, std::size_t n) {
  float max = x[0];
  for (std::size_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  for (std::size_t i = 0; i < n; ++i) x[i] = x[i] - max;
  exp_f32_n(x, n);
  const float total = sum(x, n);
  for (std::size_t i = 0; i < n; ++i) x[i] = x[i] / total;
}

float max_f32(const float* x, std::size_t n) {
  if constexpr (wasm::available()) return wasm::max_f32(x, n);
  float m = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < n; ++i) m = m < x[i] ? x[i] : m;  // a NaN never replaces m
  return m;
}

void exp_f32_n(float* x, std::size_t n) {
  if constexpr (wasm::available()) return wasm::exp_f32_n(x, n);
  if (avx2::available()) return avx2::exp_f32_n(x, n);
  for (std::size_t i = 0; i < n; ++i) x[i] = math::exp_f32(x[i]);
}

void silu_gate(float* g, const float* u, std::size_t n) {
  constexpr std::size_t kChunk = 64;  // e[] on the stack
  float e[kChunk];
  for (std::size_t i0 = 0; i0 < n; i0 += kChunk) {
    const std::size_t m = std::min(kChunk, n - i0);
    for (std::size_t j = 0; j < m; ++j) e[j] = -g[i0 + j];
    exp_f32_n(e, m);
    // silu(x) = x / (1 + exp_f32(-x)), each step in f32, then times the up projection
    for (std::size_t j = 0; j < m; ++j) g[i0 + j] = (g[i0 + j] / (1.0f + e[j])) * u[i0 + j];
  }
}

}  // namespace slm
