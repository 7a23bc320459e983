// AVX2 versions of the forward pass's hot loops, chosen at run time on x86-64 CPUs that have AVX2
// (kernels.cpp). They compute exactly what the portable loops compute: the same eight lanes
// (lane j holds elements j, j + 8, j + 16, ... in order), the same separately rounded multiply and
// add (AVX2 without FMA), the same final tree. Only the speed differs; the tests that pin logits
// bit for bit run through whichever path the machine takes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "slm/model_file.h"

namespace slm::avx2 {

bool available();  // compiled for x86-64 and the CPU has AVX2 (and F16C, which every AVX2 CPU has)
float dot(const float* a, const float* b, std::size_t n);
// q8_0 and q4_0 rows [row_begin, row_end) (all by default) of out = W x
void matvec_quantized(const TensorView& w, const float* x, float* out, std::uint64_t row_begin = 0,
                      std::uint64_t row_end = UINT64_MAX);
// out[t * out_stride + r] = dot(m + r * cols, x + t * x_stride, cols) for r < rows, t < n: several
// rows and vectors at once (independent accumulators), every dot in its own lane order.
void matmul_f32(const float* m, std::size_t rows, std::size_t cols, const float* x, std::size_t x_stride, std::size_t n,
                float* out, std::size_t out_stride);
// x[i] = math::exp_f32(x[i]): math::exp's double steps four elements per operation, as
// slm::wasm::exp_f32_n does two; exp_f64_n is the double steps alone for x in [kExpBatchMin, kExpBatchMax] (tests).
void exp_f32_n(float* x, std::size_t n);
void exp_f64_n(double* x, std::size_t n);

}  // namespace slm::avx2

// The portable loops (kernels.cpp), also what wasm32 runs; tests compare the two paths.
namespace slm::portable {

float dot(const float* a, const float* b, std::size_t n);
void matvec_quantized(const TensorView& w, const float* x, float* out, std::uint64_t row_begin = 0,
                      std::uint64_t row_end = UINT64_MAX);

}  // namespace slm::portable
