// The forward pass's numeric kernels, with the exact order of every reduction (spec/runtime.md,
// "Arithmetic"). All arithmetic is f32, each operation rounded to f32, no FMA contraction.
//
// dot(a, b, n): eight partial sums, acc[i mod 8] += a[i] * b[i] for i = 0, 1, ..., n-1 in that
// order, then ((acc0 + acc4) + (acc2 + acc6)) + ((acc1 + acc5) + (acc3 + acc7)). That is the order
// an 8-lane (or two 4-lane) SIMD loop computes anyway, so it is both exact and fast.
#pragma once
#include <cstdint>
#include <span>

#include "slm/model_file.h"

namespace slm {

float dot(const float* a, const float* b, std::size_t n);
float sum(const float* a, std::size_t n);  // the same lanes and tree, with a[i] in place of a[i] * b[i]

// out[r] = dot(row r of W, x) for W of shape [rows, cols] in any dtype: quantized rows are
// dequantized to f32 (spec/format.md 6.3) and then go through dot() unchanged.
void matvec(const TensorView& w, const float* x, float* out);
// The rows [row_begin, row_end) of matvec (out[r] for those r only), each row computed exactly as
// matvec computes it: threads split a matrix's rows this way.
void matvec_rows(const TensorView& w, const float* x, float* out, std::uint64_t row_begin, std::uint64_t row_end);

// A batch of n vectors through one matrix (a prompt's tokens): for every row r in [row_begin,
// row_end) and t < n, out[t * out_stride + r] = dot(row r of W, x + t * x_stride, cols), the very
// value matvec gives for that vector. Each row is read once for all n vectors: a quantized row is
// dequantized once (into `scratch`, kMatmulScratchRows * cols floats) and then used as f32 rows are.
inline constexpr std::size_t kMatmulScratchRows = 4;
void matmul_rows(const TensorView& w, const float* x, std::size_t x_stride, std::size_t n, float* out, std::size_t out_stride,
                 std::uint64_t row_begin, std::uint64_t row_end, float* scratch);
// Row `row` of a [rows, cols] tensor as f32 (embedding lookup).
void dequantize_row(const TensorView& w, std::uint64_t row, float* out);

// o[i] = w[i] * (inv * x[i]) with inv = 1 / sqrt(dot(x, x) / n + eps).
void rmsnorm(float* o, const float* x, const float* w, std::size_t n, float eps);
// In place: e[i] = exp(x[i] - max), x[i] = e[i] / sum(e).
void softmax(float* x, std::size_t n);
// The largest non-NaN x[i] (IEEE comparison), or -inf when there is none (n = 0, all NaN). When
// that largest value is zero, which of +0 and -0 comes back is unspecified.
float max_f32(const float* x, std::size_t n);
// In place: x[i] = math::exp_f32(x[i]), bit for bit (AVX2 and wasm32 run several at once in SIMD).
void exp_f32_n(float* x, std::size_t n);
// In place: g[i] = math::silu_f32(g[i]) * u[i] (SwiGLU's gate), bit for bit.
void silu_gate(float* g, const float* u, std::size_t n);

}  // namespace slm
