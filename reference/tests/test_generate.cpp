// Generation on generated models: context limits, the KV cache against a cache-free recomputation,
// quantized models tracking their f32 source, and a fingerprint every build must reproduce.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "slm/generate.h"
#include "slm/kernels.h"
#include "slm/math.h"
#include "slm/transformer.h"
#include "slm/writer.h"
#include "slm/xxh64.h"
#include "slmgen/recipe.h"

namespace {

std::shared_ptr<const slm::LoadedModel> model_from(const slmgen::ModelRecipe& recipe) {
  auto options = slmgen::resolve_recipe(recipe);
  EXPECT_TRUE(options.ok()) << options.status().message;
  auto model = slm::load_model(slm::write_model(slmgen::generate_model(options.value())));
  EXPECT_TRUE(model.ok());
  return model.value();
}

slmgen::ModelRecipe tiny(std::string dtype = "", std::uint64_t seed = 1) {
  slmgen::ModelRecipe r;
  r.preset = "tiny";
  r.seed = seed;
  r.dtype = std::move(dtype);
  r.layers = 2;
  r.heads = 4;
  r.kv_heads = 2;
  return r;
}

TEST(Generate, PromptLongerThanContextIsAnError) {
  slm::GenerateRequest request;
  request.prompt = std::string(40, 'a');  // byte tokenizer: 41 tokens with BOS; tiny's max_seq_len is 32
  auto r = slm::generate(model_from(tiny()), request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(slm::error_info(r.status().code).name, "E_GEN_PROMPT_TOO_LONG");
}

TEST(Generate, StopsAtTheContext) {
  slm::GenerateRequest request;
  request.prompt = "hello";
  request.max_tokens = 1000;
  request.stop_at_eos = false;
  auto r = slm::generate(model_from(tiny()), request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stop_reason, "context");
  EXPECT_EQ(r->prompt_tokens.size() + r->tokens.size(), 32u + 1);  // the last token is chosen, not fed
}

TEST(Generate, SameRequestSameTokens) {
  slm::GenerateRequest request;
  request.prompt = "once upon";
  request.max_tokens = 12;
  request.sampling = {0.9f, 20, 0.95f, 1234};
  const auto model = model_from(tiny("", 3));
  auto a = slm::generate(model, request), b = slm::generate(model, request);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tokens, b->tokens);
  EXPECT_EQ(a->text, b->text);
}

TEST(Generate, SamplingSlackIsTheDistanceToTheNearestNeighbourInterval) {
  slm::GenerateRequest request;
  request.prompt = "once upon";
  request.max_tokens = 12;
  const auto model = model_from(tiny("", 3));
  auto greedy = slm::generate(model, request);
  ASSERT_TRUE(greedy.ok());
  for (const auto& step : greedy->steps) EXPECT_TRUE(std::isinf(step.sampling_slack));
  request.sampling = {1.0f, 0, 1.0f, 77};
  auto sampled = slm::generate(model, request);
  ASSERT_TRUE(sampled.ok());
  for (const auto& step : sampled->steps) {
    // r lies inside the chosen interval, within the kept mass (or +inf for a sole candidate)
    EXPECT_GE(step.sampling_slack, 0.0f);
    if (!std::isinf(step.sampling_slack)) {
      EXPECT_LT(step.sampling_slack, 1.0f);
    }
  }
}

// The forward pass of spec/runtime.md section 2 with no cache: every step recomputes q, k and v for
// all positions. Same kernels, so the logits must be bit-identical to the cached run.
std::vector<float> logits_without_cache(const slm::LoadedModel& m, const std::vector<std::uint32_t>& tokens) {
  const auto& hp = m.info().header.hparams;
  const auto& t = m.tensors();
  const std::size_t dim = hp.dim, hd = dim / hp.n_heads, kv_dim = hd * hp.n_kv_heads, n = tokens.size();
  const std::size_t kv_mul = hp.n_heads / hp.n_kv_heads;
  auto f32 = [](const slm::TensorView& v) { return reinterpret_cast<const float*>(v.bytes.data()); };
  std::vector<std::vector<float>> x(n, std::vector<float>(dim));
  for (std::size_t p = 0; p < n; ++p) slm::dequantize_row(t[0], tokens[p], x[p].data());
  std::vector<float> xb(dim), q(dim), out(dim), att(n), hb(hp.hidden_dim), hb2(hp.hidden_dim);
  std::vector<std::vector<float>> k(n, std::vector<float>(kv_dim)), v(n, std::vector<float>(kv_dim));
  std::vector<std::vector<float>> qs(n, std::vector<float>(dim));
  auto rope = [&](float* vec, std::size_t heads, std::size_t pos) {
    for (std::size_t h = 0; h < heads; ++h) {
      for (std::size_t j = 0; j < hd / 2; ++j) {
        const float freq = static_cast<float>(slm::math::exp(-(2.0 * static_cast<double>(j) / static_cast<double>(hd)) *
                                                             slm::math::log(static_cast<double>(hp.rope_theta))));
        const double angle = static_cast<double>(pos) * static_cast<double>(freq);
        const float c = static_cast<float>(slm::math::cos(angle)), s = static_cast<float>(slm::math::sin(angle));
        float* pr = vec + h * hd + 2 * j;
        const float a = pr[0], b = pr[1];
        pr[0] = a * c - b * s;
        pr[1] = a * s + b * c;
      }
    }
  };
  for (std::uint32_t l = 0; l < hp.n_layers; ++l) {
    const std::size_t base = 1 + 9 * std::size_t{l};
    for (std::size_t p = 0; p < n; ++p) {  // all positions' q, k, v for this layer
      slm::rmsnorm(xb.data(), x[p].data(), f32(t[base]), dim, hp.norm_eps);
      slm::matvec(t[base + 1], xb.data(), qs[p].data());
      slm::matvec(t[base + 2], xb.data(), k[p].data());
      slm::matvec(t[base + 3], xb.data(), v[p].data());
      rope(qs[p].data(), hp.n_heads, p);
      rope(k[p].data(), hp.n_kv_heads, p);
    }
    for (std::size_t p = 0; p < n; ++p) {  // causal attention for every position
      for (std::size_t h = 0; h < hp.n_heads; ++h) {
        const std::size_t kvh = (h / kv_mul) * hd;
        for (std::size_t s = 0; s <= p; ++s) {
          att[s] = slm::dot(&qs[p][h * hd], &k[s][kvh], hd) / std::sqrt(static_cast<float>(hd));
        }
        slm::softmax(att.data(), p + 1);
        for (std::size_t i = 0; i < hd; ++i) {
          float acc = 0.0f;
          for (std::size_t s = 0; s <= p; ++s) acc = acc + att[s] * v[s][kvh + i];
          out[h * hd + i] = acc;
        }
      }
      std::vector<float> o(dim);
      slm::matvec(t[base + 4], out.data(), o.data());
      for (std::size_t i = 0; i < dim; ++i) x[p][i] = x[p][i] + o[i];
      slm::rmsnorm(xb.data(), x[p].data(), f32(t[base + 5]), dim, hp.norm_eps);
      slm::matvec(t[base + 6], xb.data(), hb.data());
      slm::matvec(t[base + 8], xb.data(), hb2.data());
      for (std::size_t i = 0; i < hb.size(); ++i) hb[i] = slm::math::silu_f32(hb[i]) * hb2[i];
      slm::matvec(t[base + 7], hb.data(), o.data());
      for (std::size_t i = 0; i < dim; ++i) x[p][i] = x[p][i] + o[i];
    }
  }
  std::vector<float> last = x[n - 1], logits(hp.vocab_size);
  slm::rmsnorm(last.data(), last.data(), f32(t[1 + 9 * std::size_t{hp.n_layers}]), dim, hp.norm_eps);
  const bool untied = t.size() == 3 + 9 * std::size_t{hp.n_layers};
  slm::matvec(untied ? t.back() : t[0], last.data(), logits.data());
  return logits;
}

TEST(Generate, KvCacheEqualsRecomputation) {
  for (const char* dtype : {"f32", "q8_0", "q4_0"}) {
    const auto model = model_from(tiny(dtype, 5));
    auto transformer = slm::Transformer::create(model, 0);
    ASSERT_TRUE(transformer.ok());
    const std::vector<std::uint32_t> tokens = {1, 75, 3, 200, 9, 9, 101, 258};
    for (std::uint32_t pos = 0; pos < tokens.size(); ++pos) {
      const auto cached = transformer.value()->forward(tokens[pos], pos);
      const auto recomputed = logits_without_cache(*model, {tokens.begin(), tokens.begin() + pos + 1});
      ASSERT_EQ(0, std::memcmp(cached.data(), recomputed.data(), cached.size() * 4)) << dtype << " at position " << pos;
    }
  }
}

TEST(Generate, QuantizedModelsTrackTheirF32Source) {
  // The generator draws the same values whatever the dtype: q8_0 and q4_0 are quantized copies.
  auto first_logits = [](const char* dtype) {
    auto transformer = slm::Transformer::create(model_from(tiny(dtype, 9)), 0);
    std::vector<float> out;
    for (std::uint32_t pos = 0; pos < 4; ++pos) out = transformer.value()->forward(1 + 40 * pos, pos);
    return out;
  };
  const auto reference = first_logits("f32");
  auto relative_error = [&](const std::vector<float>& other) {
    double diff = 0, norm = 0;
    for (std::size_t i = 0; i < reference.size(); ++i) {
      diff += (other[i] - reference[i]) * (other[i] - reference[i]);
      norm += reference[i] * reference[i];
    }
    return std::sqrt(diff / norm);
  };
  EXPECT_LT(relative_error(first_logits("q8_0")), 0.02);  // stated tolerances (spec/runtime.md)
  EXPECT_LT(relative_error(first_logits("q4_0")), 0.25);
}

TEST(Generate, BitIdenticalAcrossBuilds) {
  // XXH64 of every logit of a fixed run, per dtype. g++ and clang (the sanitizer build) run this test
  // (the wasm32 build meets the same bits in the bit-exact generate cases): all must give the
  // recorded values. They change only with the forward pass itself (spec/runtime.md), never to fit a build.
  std::ifstream in(std::string(SLM_SOURCE_DIR) + "/reference/tests/data/forward-fingerprints.txt");
  std::map<std::string, std::uint64_t> expected;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string dtype, hex;
    fields >> dtype >> hex;
    expected[dtype] = std::stoull(hex, nullptr, 16);
  }
  ASSERT_EQ(expected.size(), 3u);
  for (const char* dtype : {"f32", "q8_0", "q4_0"}) {
    auto transformer = slm::Transformer::create(model_from(tiny(dtype, 11)), 0);
    slm::Xxh64 h;
    for (std::uint32_t pos = 0; pos < 16; ++pos) {
      const auto& logits = transformer.value()->forward((pos * 37 + 1) % 259, pos);
      h.update({reinterpret_cast<const std::uint8_t*>(logits.data()), logits.size() * 4});
    }
    EXPECT_EQ(h.digest(), expected[dtype]) << dtype << ": got " << std::hex << h.digest();
  }
}

}  // namespace
