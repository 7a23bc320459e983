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
// Row `row` of a [rows, cols] tensor as f32 (embedding lookup).
void dequantize_row(const TensorView& w, std::uint64_t row, float* out);

// o[i] = w[i] * (inv * x[i]) with inv = 1 / sqrt(dot(x, x) / n + eps).
void rmsnorm(float* o, const float* x, const float* w, std::size_t n, float eps);
// In place: e[i] = exp(x[i] - max), x[i] = e[i] / sum(e).
void softmax(float* x, std::size_t n);

}  // namespace slm
