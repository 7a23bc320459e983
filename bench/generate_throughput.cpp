// Tokens per second of the forward pass on one model:
//   slm_generate_bench MODEL.slm [--steps N] [--baseline] [--threads N]
// prints one JSON line {"model", "engine", "steps", "seconds", "tokens_per_second"}. --baseline runs
// llama2.c's plain-loop forward (f32 models only, one thread). --threads: the reference's forward-pass
// threads (default 1; 0 = every core). bench/generate_throughput.py drives it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "llama2c_baseline.h"
#include "slm/transformer.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: slm_generate_bench MODEL.slm [--steps N] [--baseline] [--threads N]\n");
    return 2;
  }
  std::uint32_t steps = 128;
  std::uint32_t threads = 1;
  bool baseline = false;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) steps = static_cast<std::uint32_t>(std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--baseline")) baseline = true;
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = static_cast<std::uint32_t>(std::atoi(argv[++i]));
  }
  auto model = slm::load_model_file(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "%s: %s\n", argv[1], model.status().message.c_str());
    return 1;
  }
  const auto& hp = model.value()->info().header.hparams;
  if (steps > hp.max_seq_len) steps = hp.max_seq_len;
  float sink = 0;
  const auto start = std::chrono::steady_clock::now();
  if (baseline) {
    slmbench::BaselineTransformer t(*model.value());
    for (std::uint32_t pos = 0; pos < steps; ++pos) sink += t.forward((pos * 37 + 1) % hp.vocab_size, pos)[0];
  } else {
    auto t = slm::Transformer::create(model.value(), 0, threads);
    if (!t.ok()) return 1;
    for (std::uint32_t pos = 0; pos < steps; ++pos) sink += t.value()->forward((pos * 37 + 1) % hp.vocab_size, pos)[0];
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"model\": \"%s\", \"engine\": \"%s\", \"threads\": %u, \"steps\": %u, \"seconds\": %.4f, "
              "\"tokens_per_second\": %.1f, \"checksum\": %g}\n",
              argv[1], baseline ? "llama2c-baseline" : "slm-reference", baseline ? 1u : threads, steps, seconds, steps / seconds,
              static_cast<double>(sink));
  return 0;
}
