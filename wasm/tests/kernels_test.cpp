// A small standalone wasm module for wasm/tests/kernels.test.mjs: runs the kernels the wasm32 build
// dispatches to (slm::dot, slm::matvec: the wasm-simd128 ones of reference/src/kernels_wasm.cpp)
// and the portable loops (the oracle) on the same buffers, and says whether the bits match.
// Test-only; not part of the ABI (spec/wasm-abi.md) and not linked into slm_wasm.wasm.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels_avx2.h"  // slm::portable
#include "kernels_wasm.h"
#include "slm/format.h"
#include "slm/kernels.h"
#include "slm/math.h"
#include "slm/sampler.h"

#define KT_EXPORT extern "C" __attribute__((used, visibility("default")))

namespace {

std::uint32_t bits(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

// Equal bits; two NaNs count as equal (wasm leaves a NaN result's sign and payload open).
bool same(float a, float b) { return bits(a) == bits(b) || (a != a && b != b); }

// The last results, for the driver's messages.
float g_wasm_value = 0.0f, g_portable_value = 0.0f;

// W of shape [rows, cols] in dtype 0 (f32), 1 (q8_0) or 2 (q4_0) at `w`, described in `entry`.
slm::TensorView view_of(slm::TensorEntry& entry, std::uint32_t dtype, const std::uint8_t* w, std::uint32_t rows, std::uint32_t cols) {
  entry.dtype = dtype == 0 ? slm::DType::F32 : dtype == 1 ? slm::DType::Q8_0 : slm::DType::Q4_0;
  entry.rank = 2;
  entry.dims[0] = rows;
  entry.dims[1] = cols;
  entry.byte_size = slm::dtype_bytes(entry.dtype, std::uint64_t{rows} * cols);
  return slm::TensorView{&entry, {w, static_cast<std::size_t>(entry.byte_size)}};
}

// The first index whose bits differ (both values kept for the messages), or -1.
std::int32_t first_difference(const float* wasm, const float* portable, std::uint32_t n) {
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!same(wasm[i], portable[i])) {
      g_wasm_value = wasm[i];
      g_portable_value = portable[i];
      return static_cast<std::int32_t>(i);
    }
  }
  return -1;
}

}  // namespace

// 1 when the module runs the wasm-simd128 kernels (built with -msimd128), else 0.
KT_EXPORT std::uint32_t kt_simd() { return slm::wasm::available() ? 1u : 0u; }

KT_EXPORT void* kt_alloc(std::uint32_t size) { return std::aligned_alloc(16, (static_cast<std::size_t>(size) + 15) & ~std::size_t{15}); }
KT_EXPORT void kt_free(void* p) { std::free(p); }

// The two results of the last check (bit patterns), to report a mismatch.
KT_EXPORT std::uint32_t kt_last_wasm() { return bits(g_wasm_value); }
KT_EXPORT std::uint32_t kt_last_portable() { return bits(g_portable_value); }

// dot(a, b, n) through the dispatch vs the portable loop: 1 when the bits match.
KT_EXPORT std::uint32_t kt_check_dot(const float* a, const float* b, std::uint32_t n) {
  g_wasm_value = slm::dot(a, b, n);
  g_portable_value = slm::portable::dot(a, b, n);
  return same(g_wasm_value, g_portable_value) ? 1u : 0u;
}

// out = W x through slm::matvec (the dispatch) vs the portable loops, W of shape [rows, cols] in
// dtype 0 (f32), 1 (q8_0) or 2 (q4_0) at `w` (cols % 32 == 0 for the quantized types; f32 rows
// may start anywhere 4-aligned). Writes both outputs (rows floats each) and returns the index of
// the first row whose bits differ, or -1 when all match.
KT_EXPORT std::int32_t kt_check_matvec(std::uint32_t dtype, const std::uint8_t* w, std::uint32_t rows, std::uint32_t cols,
                                       const float* x, float* out_wasm, float* out_portable) {
  slm::TensorEntry entry;
  const slm::TensorView view = view_of(entry, dtype, w, rows, cols);
  slm::matvec(view, x, out_wasm);
  if (entry.dtype == slm::DType::F32) {
    const auto* m = reinterpret_cast<const float*>(w);
    for (std::uint32_t r = 0; r < rows; ++r) out_portable[r] = slm::portable::dot(m + std::size_t{r} * cols, x, cols);
  } else {
    slm::portable::matvec_quantized(view, x, out_portable);
  }
  return first_difference(out_wasm, out_portable, rows);
}

// x[i] = exp_f32(x[i]) through slm::exp_f32_n (the dispatch: f64x2 on wasm-simd128) vs the scalar
// math::exp_f32 on a copy: the index of the first element whose bits differ, or -1. The wasm
// result is left in x, the scalar one in ref.
KT_EXPORT std::int32_t kt_check_exp(float* x, float* ref, std::uint32_t n) {
  for (std::uint32_t i = 0; i < n; ++i) ref[i] = slm::math::exp_f32(x[i]);
  slm::exp_f32_n(x, n);
  return first_difference(x, ref, n);
}

// slm::wasm::exp_f64_n vs math::exp for n doubles from `count` evenly spaced f32 inputs over
// [kExpBatchMin, kExpBatchMax] (the range exp_f32_n hands it), 1024 at a time: the first input index whose double
// differs, or -1.
KT_EXPORT std::int32_t kt_sweep_exp_f64(std::uint32_t count) {
  double x[1024];
  for (std::uint32_t done = 0; done < count;) {
    const std::uint32_t m = count - done < 1024 ? count - done : 1024;
    for (std::uint32_t i = 0; i < m; ++i) {
      const double span = static_cast<double>(slm::math::kExpBatchMax) - slm::math::kExpBatchMin;
      x[i] = static_cast<double>(static_cast<float>(slm::math::kExpBatchMin + span * (done + i) / (count - 1)));
    }
    double ref[1024];
    for (std::uint32_t i = 0; i < m; ++i) ref[i] = slm::math::exp(x[i]);
    slm::wasm::exp_f64_n(x, m);
    for (std::uint32_t i = 0; i < m; ++i) {
      if (std::memcmp(&x[i], &ref[i], 8) != 0) return static_cast<std::int32_t>(done + i);
    }
    done += m;
  }
  return -1;
}

// The same over `count` f32 bit patterns first, first + stride, ... (mod 2^32), 1024 at a time: the
// first pattern whose result differs, or 0xFFFFFFFF.
KT_EXPORT std::uint32_t kt_sweep_exp(std::uint32_t first, std::uint32_t stride, std::uint32_t count) {
  float x[1024], ref[1024];
  std::uint32_t b = first;
  for (std::uint32_t done = 0; done < count;) {
    const std::uint32_t m = count - done < 1024 ? count - done : 1024;
    for (std::uint32_t i = 0; i < m; ++i, b += stride) std::memcpy(&x[i], &b, 4);
    const std::int32_t bad = kt_check_exp(x, ref, m);
    if (bad >= 0) {
      std::uint32_t pattern = first + (done + static_cast<std::uint32_t>(bad)) * stride;
      return pattern;
    }
    done += m;
  }
  return 0xFFFFFFFFu;
}

// slm::argmax and slm::runner_up (over the wasm max_f32) against RT-SMP-001's loop and the
// runner-up's: 0 when both agree (bits of the runner-up included), 1 for argmax, 2 for runner_up.
KT_EXPORT std::uint32_t kt_check_argmax(const float* x, std::uint32_t n, std::uint32_t chosen) {
  std::uint32_t best = 0;
  for (std::uint32_t i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  if (slm::argmax(x, n) != best) return 1;
  float r = -__builtin_inff();
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i != chosen && x[i] > r) r = x[i];
  }
  g_wasm_value = slm::runner_up(x, n, chosen);
  g_portable_value = r;
  return bits(g_wasm_value) == bits(r) ? 0u : 2u;
}

// out = W x through slm::matvec only, `reps` times: what bench/wasm_kernels.mjs times per dtype
// (same arguments as kt_check_matvec).
KT_EXPORT void kt_matvec(std::uint32_t dtype, const std::uint8_t* w, std::uint32_t rows, std::uint32_t cols,
                         const float* x, float* out, std::uint32_t reps) {
  slm::TensorEntry entry;
  const slm::TensorView view = view_of(entry, dtype, w, rows, cols);
  for (std::uint32_t i = 0; i < reps; ++i) slm::matvec(view, x, out);
}
