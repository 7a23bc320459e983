// The second speed baseline of issue 15: llama2.c's forward pass (bench/llama2c_baseline.cpp)
// compiled the way llama2.c's Makefile compiles its `runomp` target, `-Ofast -march=native -fopenmp`,
// with the matmul rows and the attention heads split across threads by `#pragma omp parallel for`
// as run.c does. This whole translation unit gets those flags (bench/CMakeLists.txt); nothing else
// in the project is built with fast-math. Same output as slm_generate_bench --baseline:
//   slm_llama2c_omp_bench MODEL.slm [--steps N] [--threads T]   (T = 0: OpenMP's default, every core)
// prints one JSON line {"model", "engine", "threads", "steps", "seconds", "tokens_per_second"}.
#if !defined(_OPENMP) || !defined(__FAST_MATH__)
#error "llama2c_omp_bench.cpp must be compiled like llama2.c's runomp: -Ofast -march=native -fopenmp"
#endif

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "llama2c_baseline.cpp"  // the same source, compiled here with the runomp flags

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fprintf(stderr,
                 "usage: slm_llama2c_omp_bench MODEL.slm [--steps N] [--threads T]\n"
                 "  llama2.c's forward, -Ofast -march=native -fopenmp (f32 models only); T = 0: every core\n");
    return argc < 2 ? 2 : 0;
  }
  std::uint32_t steps = 128;
  int threads = 0;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) steps = static_cast<std::uint32_t>(std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
  }
  if (threads > 0) omp_set_num_threads(threads);
  auto model = slm::load_model_file(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "%s: %s\n", argv[1], model.status().message.c_str());
    return 1;
  }
  const auto& hp = model.value()->info().header.hparams;
  if (steps > hp.max_seq_len) steps = hp.max_seq_len;
  float sink = 0;
  slmbench::BaselineTransformer t(*model.value());
  const auto start = std::chrono::steady_clock::now();
  for (std::uint32_t pos = 0; pos < steps; ++pos) sink += t.forward((pos * 37 + 1) % hp.vocab_size, pos)[0];
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"model\": \"%s\", \"engine\": \"llama2c-runomp\", \"threads\": %d, \"steps\": %u, \"seconds\": %.4f, "
              "\"tokens_per_second\": %.1f, \"checksum\": %g}\n",
              argv[1], omp_get_max_threads(), steps, seconds, steps / seconds, static_cast<double>(sink));
  return 0;
}
