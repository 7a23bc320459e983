#include "kernels_avx2.h"

#include "slm/bytes.h"
#include "slm/fp16.h"
#include "slm/math.h"
#include "slm/quant.h"

#if defined(__x86_64__) && !defined(__EMSCRIPTEN__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define SLM_HAVE_AVX2_PATH 1
#endif

namespace slm::avx2 {

#ifdef SLM_HAVE_AVX2_PATH

namespace {

// ((acc0 + acc4) + (acc2 + acc6)) + ((acc1 + acc5) + (acc3 + acc7)), as in kernels.cpp
__attribute__((target("avx2"))) float combine(__m256 acc, const float* tail_a, const float* tail_b, std::size_t tail) {
  alignas(32) float lane[8];
  _mm256_store_ps(lane, acc);
  for (std::size_t i = 0; i < tail; ++i) lane[i] = lane[i] + (tail_b ? tail_a[i] * tail_b[i] : tail_a[i]);
  return ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
}

// lane j += (float) q[j] * d * x[j] for 8 signed bytes: the dequantized value q * d is exact in f32
__attribute__((target("avx2"))) inline __m256 add_q8(__m256 acc, const std::uint8_t* q, __m256 d, const float* x) {
  const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q)))), d);
  return _mm256_add_ps(acc, _mm256_mul_ps(v, _mm256_loadu_ps(x)));
}

__attribute__((target("avx2"))) inline __m256 add_nibbles(__m256 acc, __m256i nibbles, __m256 d, const float* x) {
  const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(nibbles, _mm256_set1_epi32(8))), d);
  return _mm256_add_ps(acc, _mm256_mul_ps(v, _mm256_loadu_ps(x)));
}

// math::exp for the four doubles of each of two vectors: every step the same IEEE double operation
// as math::exp's (no FMA), two chains so the divisions overlap. Only for x where sum * 2^k is a
// normal double (math.h's kExpBatchMin/Max), so math::exp's ldexp is the exact product by 2^k.
__attribute__((target("avx2"))) inline void exp_quads(__m256d (&d)[2]) {
  __m256d k[2], r[2], sum[2];
  for (int j = 0; j < 2; ++j) {
    k[j] = _mm256_floor_pd(_mm256_add_pd(_mm256_mul_pd(d[j], _mm256_set1_pd(math::kInvLn2)), _mm256_set1_pd(0.5)));
    r[j] = _mm256_sub_pd(_mm256_sub_pd(d[j], _mm256_mul_pd(k[j], _mm256_set1_pd(math::kLn2Hi))),
                         _mm256_mul_pd(k[j], _mm256_set1_pd(math::kLn2Lo)));
    sum[j] = _mm256_set1_pd(1.0);
  }
  for (int n = math::kExpTerms; n >= 1; --n) {
    const __m256d one = _mm256_set1_pd(1.0), dn = _mm256_set1_pd(static_cast<double>(n));
    for (int j = 0; j < 2; ++j) sum[j] = _mm256_add_pd(one, _mm256_div_pd(_mm256_mul_pd(sum[j], r[j]), dn));
  }
  for (int j = 0; j < 2; ++j) {
    const __m256i k64 = _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(k[j]));
    const __m256i two_k = _mm256_slli_epi64(_mm256_add_epi64(k64, _mm256_set1_epi64x(1023)), 52);
    d[j] = _mm256_mul_pd(sum[j], _mm256_castsi256_pd(two_k));
  }
}

}  // namespace

__attribute__((target("avx2"))) void exp_f64_n(double* x, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256d d[2] = {_mm256_loadu_pd(x + i), _mm256_loadu_pd(x + i + 4)};
    exp_quads(d);
    _mm256_storeu_pd(x + i, d[0]);
    _mm256_storeu_pd(x + i + 4, d[1]);
  }
  for (; i < n; ++i) x[i] = math::exp(x[i]);
}

__attribute__((target("avx2"))) void exp_f32_n(float* x, std::size_t n) {
  const __m256 lo = _mm256_set1_ps(math::kExpBatchMin), hi = _mm256_set1_ps(math::kExpBatchMax);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 in_range = _mm256_and_ps(_mm256_cmp_ps(v, lo, _CMP_GE_OQ), _mm256_cmp_ps(v, hi, _CMP_LE_OQ));
    if (_mm256_movemask_ps(in_range) != 0xFF) {
      for (std::size_t j = i; j < i + 8; ++j) x[j] = math::exp_f32(x[j]);
      continue;
    }
    __m256d d[2] = {_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))};
    exp_quads(d);
    // (float) of each double, as exp_f32 rounds it
    _mm256_storeu_ps(x + i, _mm256_set_m128(_mm256_cvtpd_ps(d[1]), _mm256_cvtpd_ps(d[0])));
  }
  for (; i < n; ++i) x[i] = math::exp_f32(x[i]);
}

bool available() {
  // F16C is CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports does not know "f16c")
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __builtin_cpu_supports("avx2") && __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & (1u << 29)) != 0;
  }();
  return has;
}

__attribute__((target("avx2"))) float dot(const float* a, const float* b, std::size_t n) {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  return combine(acc, a + i, b + i, n - i);
}

// One block of 32 weights of one row into its accumulator, elements in increasing order per lane.
// The scale through F16C's vcvtph2ps, exact like fp16_to_fp32 (a NaN comes out quiet, and a
// product with a NaN scale is NaN either way): one instruction where the call cost a fifth of a
// q8_0 token.
static __attribute__((target("avx2,f16c"))) inline __m256 add_block(__m256 acc, const std::uint8_t* q, bool q8, const float* x) {
  const __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(q)));
  if (q8) {
    for (std::size_t j = 0; j < kBlockSize; j += 8) acc = add_q8(acc, q + 2 + j, d, x + j);
    return acc;
  }
  // byte i holds element i (low nibble) and element i + 16 (high nibble): elements 0-7, 8-15,
  // 16-23, 24-31 in that order, so every lane sees its elements in increasing order
  const __m256i low_mask = _mm256_set1_epi32(0x0F);
  const __m256i u0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 2)));
  const __m256i u1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 10)));
  acc = add_nibbles(acc, _mm256_and_si256(u0, low_mask), d, x);
  acc = add_nibbles(acc, _mm256_and_si256(u1, low_mask), d, x + 8);
  acc = add_nibbles(acc, _mm256_srli_epi32(u0, 4), d, x + 16);
  return add_nibbles(acc, _mm256_srli_epi32(u1, 4), d, x + 24);
}

__attribute__((target("avx2,f16c"))) void matvec_quantized(const TensorView& w, const float* x, float* out,
                                                      std::uint64_t row_begin, std::uint64_t row_end) {
  const std::uint64_t rows = row_end < w.entry->dims[0] ? row_end : w.entry->dims[0];
  const std::size_t cols = static_cast<std::size_t>(w.entry->dims[w.entry->rank - 1]);
  const bool q8 = w.entry->dtype == DType::Q8_0;
  const std::size_t block_bytes = q8 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
  const std::size_t blocks = cols / kBlockSize, row_bytes = blocks * block_bytes;
  const std::uint8_t* base = w.bytes.data();
  std::uint64_t r = row_begin;
  // Four rows at a time: four independent accumulators keep the adder busy (one row's additions
  // depend on each other); each row's own order is unchanged.
  for (; r + 4 <= rows; r += 4) {
    const std::uint8_t* q = base + r * row_bytes;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t off = b * block_bytes;
      const float* xb = x + b * kBlockSize;
      a0 = add_block(a0, q + off, q8, xb);
      a1 = add_block(a1, q + row_bytes + off, q8, xb);
      a2 = add_block(a2, q + 2 * row_bytes + off, q8, xb);
      a3 = add_block(a3, q + 3 * row_bytes + off, q8, xb);
    }
    out[r] = combine(a0, nullptr, nullptr, 0);
    out[r + 1] = combine(a1, nullptr, nullptr, 0);
    out[r + 2] = combine(a2, nullptr, nullptr, 0);
    out[r + 3] = combine(a3, nullptr, nullptr, 0);
  }
  for (; r < rows; ++r) {
    const std::uint8_t* q = base + r * row_bytes;
    __m256 acc = _mm256_setzero_ps();
    for (std::size_t b = 0; b < blocks; ++b) acc = add_block(acc, q + b * block_bytes, q8, x + b * kBlockSize);
    out[r] = combine(acc, nullptr, nullptr, 0);
  }
}

namespace {

// R rows of m times V vectors of x: R * V independent accumulators (one row's or one vector's
// additions depend on each other; many at once keep the adders busy), each with dot()'s lanes, tail
// and tree, so every output is bit for bit dot(row, vector).
template <int R, int V>
__attribute__((target("avx2"))) inline void block(const float* m, std::size_t cols, const float* x, std::size_t x_stride,
                                                  float* out, std::size_t out_stride) {
  __m256 acc[R][V];
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  }
  std::size_t i = 0;
  for (; i + 8 <= cols; i += 8) {
    __m256 xv[V];
    for (int v = 0; v < V; ++v) xv[v] = _mm256_loadu_ps(x + static_cast<std::size_t>(v) * x_stride + i);
    for (int r = 0; r < R; ++r) {
      const __m256 wr = _mm256_loadu_ps(m + static_cast<std::size_t>(r) * cols + i);
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_add_ps(acc[r][v], _mm256_mul_ps(wr, xv[v]));
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) {
      const float* row = m + static_cast<std::size_t>(r) * cols;
      const float* vec = x + static_cast<std::size_t>(v) * x_stride;
      out[static_cast<std::size_t>(v) * out_stride + static_cast<std::size_t>(r)] = combine(acc[r][v], row + i, vec + i, cols - i);
    }
  }
}

}  // namespace

__attribute__((target("avx2"))) void matmul_f32(const float* m, std::size_t rows, std::size_t cols, const float* x,
                                                std::size_t x_stride, std::size_t n, float* out, std::size_t out_stride) {
  std::size_t r = 0;
  // Four rows (read once, then kept in L1) against the vectors two at a time.
  for (; r + 4 <= rows; r += 4) {
    const float* mr = m + r * cols;
    std::size_t t = 0;
    for (; t + 2 <= n; t += 2) block<4, 2>(mr, cols, x + t * x_stride, x_stride, out + t * out_stride + r, out_stride);
    if (t < n) block<4, 1>(mr, cols, x + t * x_stride, x_stride, out + t * out_stride + r, out_stride);
  }
  for (; r < rows; ++r) {
    const float* mr = m + r * cols;
    std::size_t t = 0;
    for (; t + 4 <= n; t += 4) block<1, 4>(mr, cols, x + t * x_stride, x_stride, out + t * out_stride + r, out_stride);
    for (; t < n; ++t) block<1, 1>(mr, cols, x + t * x_stride, x_stride, out + t * out_stride + r, out_stride);
  }
}

#else  // other targets (wasm32, non-x86): the portable loops in kernels.cpp are used

bool available() { return false; }
void exp_f64_n(double*, std::size_t) {}
void exp_f32_n(float*, std::size_t) {}
float dot(const float*, const float*, std::size_t) { return 0.0f; }
void matvec_quantized(const TensorView&, const float*, float*, std::uint64_t, std::uint64_t) {}
void matmul_f32(const float*, std::size_t, std::size_t, const float*, std::size_t, std::size_t, float*, std::size_t) {}

#endif

}  // namespace slm::avx2
