// The runtime's arithmetic: own exp/log/sin/cos against libm, the specified reduction order of
// dot() against a plain transcription of the spec, the sampler's PRNG and tie-breaks.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "../src/kernels_avx2.h"
#include "slm/kernels.h"
#include "slm/quant.h"
#include "slm/math.h"
#include "slm/sampler.h"

namespace {

// Distance in units in the last place between two finite doubles of the same sign.
double ulps(double a, double b) {
  if (a == b) return 0;
  return std::fabs(a - b) / std::fabs(std::nextafter(b, 2 * b) - b);
}

TEST(Math, ExpLogSinCosWithinTwoUlpOfLibm) {
  for (double x = -700; x <= 700; x += 0.37) EXPECT_LE(ulps(slm::math::exp(x), std::exp(x)), 2.0) << x;
  for (double x = 1e-300; x < 1e300; x *= 3.7) EXPECT_LE(ulps(slm::math::log(x), std::log(x)), 2.0) << x;
  for (double x = -1e5; x <= 1e5; x += 9.13) {
    // compare away from zeros, where ulps of a tiny result blow up
    if (std::fabs(std::sin(x)) > 1e-3) {
      EXPECT_LE(ulps(slm::math::sin(x), std::sin(x)), 4.0) << x;
    }
    if (std::fabs(std::cos(x)) > 1e-3) {
      EXPECT_LE(ulps(slm::math::cos(x), std::cos(x)), 4.0) << x;
    }
  }
}

TEST(Math, SpecialValues) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(slm::math::exp(0.0), 1.0);
  EXPECT_EQ(slm::math::exp(1000.0), inf);
  EXPECT_EQ(slm::math::exp(-1000.0), 0.0);
  EXPECT_TRUE(std::isnan(slm::math::exp(std::nan(""))));
  EXPECT_EQ(slm::math::log(1.0), 0.0);
  EXPECT_EQ(slm::math::log(0.0), -inf);
  EXPECT_TRUE(std::isnan(slm::math::log(-1.0)));
  EXPECT_EQ(slm::math::sin(0.0), 0.0);
  EXPECT_EQ(slm::math::cos(0.0), 1.0);
}

TEST(Math, ExpF32IsAlmostAlwaysTheCorrectlyRoundedValue) {
  // (float) of a ~1-ulp double is the correctly rounded f32 except within ~1e-8 of a tie.
  int differ = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.0137f) {
    const float ours = slm::math::exp_f32(x), libm = static_cast<float>(std::exp(static_cast<double>(x)));
    differ += ours != libm;
    EXPECT_LE(std::fabs(ours - libm), std::fabs(std::nextafter(libm, 2 * libm) - libm)) << x;
  }
  EXPECT_LE(differ, 2);
}

// exp_f32_n (AVX2 here: four doubles per operation) against math::exp_f32 one by one, over every
// 4099th f32 bit pattern (all signs, exponents, classes; chunks of 1000 so the SIMD loop and its
// tail both run), and the double steps before rounding over [kExpBatchMin, kExpBatchMax], where a slip (sum * (r/n)
// for (sum * r) / n) would rarely show in f32.
TEST(Kernels, BatchedExpIsExpF32BitForBit) {
  std::vector<float> x(1000), want(1000);
  std::uint32_t pattern = 20261201u;
  for (std::uint64_t done = 0; done < (std::uint64_t{1} << 32) / 4099; done += x.size()) {
    for (std::size_t i = 0; i < x.size(); ++i, pattern += 4099) {
      std::memcpy(&x[i], &pattern, 4);
      want[i] = slm::math::exp_f32(x[i]);
    }
    slm::exp_f32_n(x.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (std::isnan(want[i])) ASSERT_TRUE(std::isnan(x[i]));
      else ASSERT_EQ(std::memcmp(&x[i], &want[i], 4), 0) << want[i] << " vs " << x[i];
    }
  }
  if (!slm::avx2::available()) return;
  std::vector<double> d(4096), expect(4096);
  for (std::size_t round = 0; round < 50; ++round) {
    for (std::size_t i = 0; i < d.size(); ++i) {
      const double span = static_cast<double>(slm::math::kExpBatchMax) - slm::math::kExpBatchMin;
      d[i] = static_cast<double>(static_cast<float>(slm::math::kExpBatchMin + span * static_cast<double>(round * 4096 + i) / (50 * 4096)));
      expect[i] = slm::math::exp(d[i]);
    }
    slm::avx2::exp_f64_n(d.data(), d.size());
    for (std::size_t i = 0; i < d.size(); ++i) ASSERT_EQ(std::memcmp(&d[i], &expect[i], 8), 0) << i;
  }
}

// dot() as spec/runtime.md writes it, scalar and literal.
float dot_as_specified(const std::vector<float>& a, const std::vector<float>& b) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < a.size(); ++i) {
    const float product = a[i] * b[i];
    acc[i % 8] = acc[i % 8] + product;
  }
  return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

RC_GTEST_PROP(Kernels, DotFollowsTheSpecifiedOrderBitForBit, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(0, 200);
  std::vector<float> a(n), b(n);
  for (auto& v : a) v = static_cast<float>(*rc::gen::inRange(-1000000, 1000000)) * 1.37e-4f;
  for (auto& v : b) v = static_cast<float>(*rc::gen::inRange(-1000000, 1000000)) * 2.11e-5f;
  const float ours = slm::dot(a.data(), b.data(), n), spec = dot_as_specified(a, b);
  RC_ASSERT(std::memcmp(&ours, &spec, 4) == 0);
}

// Both code paths (portable loops, what wasm32 runs; AVX2 where the CPU has it) against the spec.
RC_GTEST_PROP(Kernels, PortableAndAvx2DotAreBitIdentical, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(0, 300);
  std::vector<float> a(n), b(n);
  for (auto& v : a) v = static_cast<float>(*rc::gen::inRange(-1000000, 1000000)) * 1.37e-4f;
  for (auto& v : b) v = static_cast<float>(*rc::gen::inRange(-1000000, 1000000)) * 2.11e-5f;
  const float spec = dot_as_specified(a, b), portable = slm::portable::dot(a.data(), b.data(), n);
  RC_ASSERT(std::memcmp(&portable, &spec, 4) == 0);
  if (slm::avx2::available()) {
    const float avx2 = slm::avx2::dot(a.data(), b.data(), n);
    RC_ASSERT(std::memcmp(&avx2, &spec, 4) == 0);
  }
}

RC_GTEST_PROP(Kernels, PortableAndAvx2QuantizedMatvecAreBitIdentical, ()) {
  if (!slm::avx2::available()) return;  // nothing to compare on this CPU
  const auto rows = *rc::gen::inRange<std::uint64_t>(1, 9);
  const auto cols = 32 * *rc::gen::inRange<std::uint64_t>(1, 6);
  for (slm::DType dtype : {slm::DType::Q8_0, slm::DType::Q4_0}) {
    std::vector<float> values(static_cast<std::size_t>(rows * cols)), x(static_cast<std::size_t>(cols));
    for (auto& v : values) v = static_cast<float>(*rc::gen::inRange(-100000, 100000)) * 3.1e-5f;
    for (auto& v : x) v = static_cast<float>(*rc::gen::inRange(-100000, 100000)) * 7.3e-5f;
    const auto bytes = slm::encode_tensor(dtype, values);
    slm::TensorEntry entry;
    entry.dtype = dtype;
    entry.rank = 2;
    entry.dims[0] = rows;
    entry.dims[1] = cols;
    const slm::TensorView view{&entry, bytes};
    std::vector<float> portable(static_cast<std::size_t>(rows)), avx2(static_cast<std::size_t>(rows));
    slm::portable::matvec_quantized(view, x.data(), portable.data());
    slm::avx2::matvec_quantized(view, x.data(), avx2.data());
    RC_ASSERT(std::memcmp(portable.data(), avx2.data(), portable.size() * 4) == 0);
  }
}

// Every fp16 scale once (65,536 rows of one block, row r's scale = r: zeros, subnormals, inf, NaN):
// the AVX2 path converts scales with F16C, the portable one with fp16_to_fp32. NaN rows only need
// to be NaN (F16C quiets a signaling NaN).
TEST(Kernels, EveryFp16ScaleGivesThePortableRow) {
  if (!slm::avx2::available()) GTEST_SKIP() << "no AVX2 path on this CPU";
  for (slm::DType dtype : {slm::DType::Q8_0, slm::DType::Q4_0}) {
    const std::size_t block = dtype == slm::DType::Q8_0 ? slm::kQ8_0BlockBytes : slm::kQ4_0BlockBytes, rows = 65536;
    std::vector<std::uint8_t> bytes(rows * block);
    std::uint32_t state = 12345;
    for (std::size_t r = 0; r < rows; ++r) {
      bytes[r * block] = static_cast<std::uint8_t>(r & 0xFF);
      bytes[r * block + 1] = static_cast<std::uint8_t>(r >> 8);
      for (std::size_t j = 2; j < block; ++j) bytes[r * block + j] = static_cast<std::uint8_t>((state = state * 1103515245u + 12345u) >> 24);
    }
    std::vector<float> x(32);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) * 0.37f - 1.1f;
    slm::TensorEntry entry;
    entry.dtype = dtype;
    entry.rank = 2;
    entry.dims[0] = rows;
    entry.dims[1] = 32;
    const slm::TensorView view{&entry, bytes};
    std::vector<float> portable(rows), avx2(rows);
    slm::portable::matvec_quantized(view, x.data(), portable.data());
    slm::avx2::matvec_quantized(view, x.data(), avx2.data());
    for (std::size_t r = 0; r < rows; ++r) {
      if (std::isnan(portable[r])) ASSERT_TRUE(std::isnan(avx2[r])) << "scale " << r;
      else ASSERT_EQ(std::memcmp(&portable[r], &avx2[r], 4), 0) << "scale " << r;
    }
  }
}

// The f32 matvec (several rows at once where the CPU allows it) row by row against the spec's dot,
// over any row range a thread may get: the row count and the tail (cols mod 8) vary.
RC_GTEST_PROP(Kernels, F32MatvecRowsAreTheSpecifiedDots, ()) {
  const auto rows = *rc::gen::inRange<std::uint64_t>(1, 20);
  const auto cols = *rc::gen::inRange<std::uint64_t>(1, 80);
  const auto begin = *rc::gen::inRange<std::uint64_t>(0, rows);
  const auto end = *rc::gen::inRange<std::uint64_t>(begin, rows + 1);
  std::vector<float> values(static_cast<std::size_t>(rows * cols)), x(static_cast<std::size_t>(cols));
  for (auto& v : values) v = static_cast<float>(*rc::gen::inRange(-1000000, 1000000)) * 1.37e-4f;
  for (auto& v : x) v = static_cast<float>(*rc::gen::inRange(-1000000, 1000000)) * 2.11e-5f;
  const auto bytes = slm::encode_tensor(slm::DType::F32, values);
  slm::TensorEntry entry;
  entry.dtype = slm::DType::F32;
  entry.rank = 2;
  entry.dims[0] = rows;
  entry.dims[1] = cols;
  const slm::TensorView view{&entry, bytes};
  std::vector<float> out(static_cast<std::size_t>(rows), -7.0f);
  slm::matvec_rows(view, x.data(), out.data(), begin, end);
  for (std::uint64_t r = 0; r < rows; ++r) {
    const std::vector<float> row(values.begin() + static_cast<std::ptrdiff_t>(r * cols),
                                 values.begin() + static_cast<std::ptrdiff_t>((r + 1) * cols));
    const float expected = r >= begin && r < end ? dot_as_specified(row, x) : -7.0f;  // other rows untouched
    RC_ASSERT(std::memcmp(&out[static_cast<std::size_t>(r)], &expected, 4) == 0);
  }
}

TEST(Kernels, DotOrderIsNotLeftToRight) {
  // 1e8 + 1 - 1e8 loses the 1 left to right; with lanes it survives: the order is observable.
  std::vector<float> a = {1e8f, 1.0f, 0, 0, -1e8f, 0, 0, 0}, ones(8, 1.0f);
  EXPECT_EQ(slm::dot(a.data(), ones.data(), 8), 1.0f);
}

TEST(Sampler, Xorshift64StarVectors) {
  // xorshift64* as llama2.c's random_u32: state ^= state >> 12, << 25, >> 27; (state * M) >> 32
  slm::Xorshift64Star rng(42);
  std::uint64_t s = 42;
  for (int i = 0; i < 5; ++i) {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    EXPECT_EQ(rng.next_u32(), static_cast<std::uint32_t>((s * 0x2545F4914F6CDD1Dull) >> 32));
  }
  slm::Xorshift64Star zero(0), fixed(slm::kDefaultSeed);
  EXPECT_EQ(zero.next_u32(), fixed.next_u32());  // seed 0 means the default seed
}

TEST(Sampler, GreedyLowestIndexWinsTies) {
  const float x[] = {1, 3, 2, 3, 3};
  EXPECT_EQ(slm::argmax(x, 5), 1u);
}

// Logits with ties, both zeros, infinities and NaN, where the vectorized passes could differ from
// the loops of RT-SMP-001 and the runner-up's definition.
static std::vector<float> awkward_logits(std::size_t n) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> all = {0.0f, -0.0f, 1.0f, 1.0f, -1.0f, 2.5f, inf, -inf, nan, 1e-45f, -3e38f};
  std::vector<float> pool;  // a random part of `all`, so that, say, the largest is a zero
  for (float v : all) {
    if (*rc::gen::inRange(0, 5) < 2) pool.push_back(v);
  }
  if (pool.empty()) pool.push_back(all[*rc::gen::inRange<std::size_t>(0, all.size())]);
  std::vector<float> x(n);
  for (auto& v : x) v = pool[*rc::gen::inRange<std::size_t>(0, pool.size())];
  return x;
}

RC_GTEST_PROP(Sampler, ArgmaxAndRunnerUpAreTheSpecifiedLoops, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 70);
  const std::vector<float> x = awkward_logits(n);
  std::size_t best = 0;
  for (std::size_t i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  RC_ASSERT(slm::argmax(x.data(), n) == best);
  const auto chosen = *rc::gen::inRange<std::uint32_t>(0, static_cast<std::uint32_t>(n));
  float r = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < n; ++i) {
    if (i != chosen && x[i] > r) r = x[i];
  }
  const float got = slm::runner_up(x.data(), n, chosen);
  RC_ASSERT(std::memcmp(&got, &r, 4) == 0);  // the sign of a zero too
}

RC_GTEST_PROP(Sampler, TopKOneEqualsGreedy, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 300);
  std::vector<float> logits(n);
  for (auto& v : logits) v = static_cast<float>(*rc::gen::inRange(-2000, 2000)) / 100.0f;
  const float temperature = static_cast<float>(*rc::gen::inRange(1, 300)) / 100.0f;
  slm::Sampler top1({temperature, 1, 1.0f, *rc::gen::arbitrary<std::uint64_t>()});
  auto copy = logits;
  RC_ASSERT(top1.sample(copy) == slm::argmax(logits.data(), n));
}

RC_GTEST_PROP(Sampler, SameSeedSameTokens, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(2, 100);
  std::vector<float> logits(n);
  for (auto& v : logits) v = static_cast<float>(*rc::gen::inRange(-500, 500)) / 100.0f;
  const slm::SamplingConfig config{0.8f, *rc::gen::inRange<std::uint32_t>(0, 10), 0.9f, *rc::gen::arbitrary<std::uint64_t>()};
  slm::Sampler a(config), b(config);
  for (int step = 0; step < 20; ++step) {
    auto x = logits, y = logits;
    RC_ASSERT(a.sample(x) == b.sample(y));
  }
}

TEST(Sampler, TopPKeepsTheShortestPrefixReachingP) {
  // probabilities after softmax at temperature 1 of log(0.5), log(0.3), log(0.2): with top_p 0.5
  // only index 0 remains, whatever the draw.
  for (std::uint64_t seed = 1; seed < 50; ++seed) {
    std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
    slm::Sampler s({1.0f, 0, 0.5f, seed});
    EXPECT_EQ(s.sample(logits), 0u);
  }
}

TEST(Sampler, NanLogitsNeverCrash) {
  std::vector<float> logits(10, std::nanf(""));
  slm::Sampler s({1.0f, 3, 0.9f, 7});
  EXPECT_LT(s.sample(logits), 10u);
}

}  // namespace
