// wasm-simd128 versions of the forward pass's hot loops (kernels.cpp chooses them when the build has
// -msimd128). They compute exactly what the portable loops compute: the spec's eight lanes held in
// two 4-lane registers (lanes 0-3 and 4-7; lane j holds elements j, j + 8, j + 16, ... in order),
// each f32 multiply and add rounded separately (SIMD128 has no FMA), the same final tree
// ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)). Quantized rows are dequantized in registers
// (q * d, (nibble - 8) * d: one f32 product each, exact) instead of through a scratch block.
// Only the speed differs; wasm/tests/kernels.test.mjs checks the bits against the portable loops.
#pragma once
#include <cstddef>

#include "slm/model_file.h"

namespace slm::wasm {

// True when compiled for wasm32 with SIMD128; the functions below are then the real kernels
// (elsewhere they are stubs that are never called).
constexpr bool available() {
#ifdef __wasm_simd128__
  return true;
#else
  return false;
#endif
}

// f32 matvec stays kernels.cpp's loop of dot() over the rows: the weights stream from memory, and
// one sequential row at a time measured faster in the forward pass than interleaved rows.
float dot(const float* a, const float* b, std::size_t n);
// out[r] = dot(row r of m, x) for an f32 [rows, cols] matrix, rows interleaved four at a time.
void matvec_f32(const float* m, std::size_t rows, std::size_t cols, const float* x, float* out);
void matvec_quantized(const TensorView& w, const float* x, float* out);  // q8_0 and q4_0 rows
float max_f32(const float* x, std::size_t n);  // slm::max_f32, four lanes at a time
// x[i] = math::exp_f32(x[i]): math::exp's double steps for two elements per f64x2 operation (the
// same IEEE operations in the same order), where the result is a normal double; others as math::exp.
void exp_f32_n(float* x, std::size_t n);
// The double steps alone: x[i] = math::exp(x[i]) for x[i] in [kExpBatchMin, kExpBatchMax] (math.h),
// what exp_f32_n uses; for the tests, since a slip in the double steps rarely shows in f32.
void exp_f64_n(double* x, std::size_t n);

}  // namespace slm::wasm
