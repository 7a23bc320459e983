// Range reduction plus polynomial, the textbook way: exp by k*ln2, log by the binary exponent and
// atanh series, sin/cos by k*pi/2 in three parts (Cody-Waite). Every operation is a plain double
// operation; std::floor, std::ldexp and std::frexp are exact.
#include "slm/math.h"

#include <cmath>
#include <limits>

namespace slm::math {

namespace {

constexpr double kTwoOverPi = 6.36619772367581382433e-01;
// pi/2 in three parts, each with trailing zeros so that k * part is exact for |k| < 2^26
constexpr double kPio2_1 = 1.57079632673412561417e+00;
constexpr double kPio2_2 = 6.07710050630396597660e-11;
constexpr double kPio2_3 = 2.02226624879595063154e-21;

// sin(r) and cos(r) for |r| <= pi/4, Taylor series to r^21 / r^20 in nested (Horner) form, which
// keeps the rounding error near 1 ulp: sin r = r (1 - r^2/(2*3) (1 - r^2/(4*5) (1 - ...))).
double sin_kernel(double r) {
  const double r2 = r * r;
  double p = 1.0;
  for (int n = 20; n >= 2; n -= 2) p = 1.0 - p * r2 / (n * (n + 1.0));
  return r * p;
}

double cos_kernel(double r) {
  const double r2 = r * r;
  double p = 1.0;
  for (int n = 19; n >= 1; n -= 2) p = 1.0 - p * r2 / (n * (n + 1.0));
  return p;
}

// x = k * pi/2 + r with |r| <= ~pi/4; returns k mod 4.
int reduce_quarter_pi(double x, double& r) {
  const double k = std::floor(x * kTwoOverPi + 0.5);
  r = ((x - k * kPio2_1) - k * kPio2_2) - k * kPio2_3;
  const double k4 = k - 4.0 * std::floor(k / 4.0);
  return static_cast<int>(k4);
}

}  // namespace

double exp(double x) {
  if (x != x) return x;
  if (x > 709.782712893384) return std::numeric_limits<double>::infinity();
  if (x < -745.1332191019412) return 0.0;
  const double k = std::floor(x * kInvLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;  // |r| <= ~0.347
  // e^r = 1 + r (1 + r/2 (1 + r/3 (... (1 + r/16)))), |r| <= 0.347: truncation < 1e-19 relative
  double sum = 1.0;
  for (int n = kExpTerms; n >= 1; --n) sum = 1.0 + sum * r / n;
  return std::ldexp(sum, static_cast<int>(k));
}

double log(double x) {
  if (x != x || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (x == std::numeric_limits<double>::infinity()) return x;
  int e = 0;
  double m = std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m = m * 2.0;
    e = e - 1;
  }
  // log(m) = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.1716; series to f^25
  const double f = (m - 1.0) / (m + 1.0);
  const double f2 = f * f;
  double power = f, sum = f;
  for (int n = 3; n <= 25; n += 2) {
    power = power * f2;
    sum = sum + power / n;
  }
  return (e * kLn2Hi + 2.0 * sum) + e * kLn2Lo;
}

double sin(double x) {
  if (x != x || std::fabs(x) == std::numeric_limits<double>::infinity()) return std::numeric_limits<double>::quiet_NaN();
  double r = 0;
  switch (reduce_quarter_pi(x, r)) {
    case 0: return sin_kernel(r);
    case 1: return cos_kernel(r);
    case 2: return -sin_kernel(r);
    default: return -cos_kernel(r);
  }
}

double cos(double x) {
  if (x != x || std::fabs(x) == std::numeric_limits<double>::infinity()) return std::numeric_limits<double>::quiet_NaN();
  double r = 0;
  switch (reduce_quarter_pi(x, r)) {
    case 0: return cos_kernel(r);
    case 1: return -sin_kernel(r);
    case 2: return -cos_kernel(r);
    default: return sin_kernel(r);
  }
}

float exp_f32(float x) { return static_cast<float>(exp(static_cast<double>(x))); }

float silu_f32(float x) {
  const float denominator = 1.0f + exp_f32(-x);
  return x / denominator;
}

}  // namespace slm::math
