// Micro benchmarks of the hot loops behind `slm validate`: the checksum and the quantizers.
#include <benchmark/benchmark.h>

#include <vector>

#include "slm/checksum.h"
#include "slm/quant.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "slmgen/model_gen.h"
#include "slmgen/prng.h"

namespace {

void BM_Xxh64(benchmark::State& state) {
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0x5A);
  for (auto _ : state) benchmark::DoNotOptimize(slm::xxh64(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Xxh64)->Arg(256 << 10)->Arg(64 << 20);

void BM_Sha256(benchmark::State& state) {
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0x5A);
  for (auto _ : state) benchmark::DoNotOptimize(slm::sha256(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(16 << 20);

std::vector<float> random_values(std::size_t n) {
  slmgen::SplitMix64 rng(3);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.symmetric();
  return v;
}

void BM_QuantizeQ8_0(benchmark::State& state) {
  const auto x = random_values(1 << 20);
  std::vector<std::uint8_t> out(x.size() / 32 * slm::kQ8_0BlockBytes);
  for (auto _ : state) slm::quantize_q8_0(x, out);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.size()));
}
BENCHMARK(BM_QuantizeQ8_0);

void BM_QuantizeQ4_0(benchmark::State& state) {
  const auto x = random_values(1 << 20);
  std::vector<std::uint8_t> out(x.size() / 32 * slm::kQ4_0BlockBytes);
  for (auto _ : state) slm::quantize_q4_0(x, out);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.size()));
}
BENCHMARK(BM_QuantizeQ4_0);

void BM_ValidateSmallInMemory(benchmark::State& state) {
  const auto bytes = slm::write_model(slmgen::generate_model(*slmgen::preset("small")));
  for (auto _ : state) benchmark::DoNotOptimize(slm::validate_model(bytes).ok());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_ValidateSmallInMemory);

}  // namespace

BENCHMARK_MAIN();
