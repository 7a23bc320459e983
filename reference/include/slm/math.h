// The runtime's own transcendental functions (spec/runtime.md, "Arithmetic"). libm differs between
// glibc, musl, emscripten and browsers by an ulp here and there; these are plain IEEE double
// operations in a fixed order (no FMA contraction), so native and wasm32 builds give the same bits.
// Accuracy is within about 1 ulp of double, so results rounded to f32 nearly always equal the
// correctly rounded value that any good libm gives, and third-party runtimes reproduce them.
#pragma once

namespace slm::math {

double exp(double x);  // e^x; +inf above ~709.78, +0 below ~-745.13, NaN for NaN

// exp's range reduction x = k ln2 + r (kernels that batch exp use the same constants):
// k = floor(x * kInvLn2 + 0.5), r = (x - k * kLn2Hi) - k * kLn2Lo, then the Horner series to r^16
// (sum = 1 + sum * r / n for n = 16 .. 1), then sum * 2^k.
inline constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2, upper 32 bits: k * kLn2Hi is exact
inline constexpr double kLn2Lo = 1.90821492927058770002e-10;
inline constexpr double kInvLn2 = 1.44269504088896338700e+00;
inline constexpr int kExpTerms = 16;
// Batched exp (kernels' exp_f32_n) takes f32 inputs in [kExpBatchMin, kExpBatchMax] in SIMD: there
// k is in [-217, 129], so sum * 2^k is a normal double and ldexp an exact product by 2^k built from
// k's bits. Below, exp_f32 is +0 and above +inf either way; those and NaN go through exp_f32.
inline constexpr float kExpBatchMin = -150.0f, kExpBatchMax = 89.0f;
double log(double x);  // natural log for x > 0; -inf at 0, NaN below 0 or for NaN
double sin(double x);  // accurate for |x| < 2^27 (RoPE angles stay far below)
double cos(double x);

// f32 helpers of the forward pass, defined through the double functions above.
float exp_f32(float x);   // (float) exp((double) x)
float silu_f32(float x);  // x / (1 + exp_f32(-x)), each step rounded to f32

}  // namespace slm::math
