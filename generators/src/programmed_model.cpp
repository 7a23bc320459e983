// Construction of programmed models (spec/generators.md, "Programmed models").
//
// The residual stream (dim D) is split into subspaces, m = code length:
//   A = [0, m)      the current token's code (written by the embedding)
//   B = [m, 2m)     the previous token's code (written by attention: each layer adds 1/L of it)
//   C = [2m, 3m)    the next token's code (written by the FFN that recognises the context)
//   ONE = 3m        a large constant (the embedding's), which RMSNorm turns into a bias
// Codes of the tokens the program uses are rows of a Sylvester-Hadamard matrix (±1, orthogonal).
// Every other weight is small seeded noise, so no tensor is zero and every runtime computes all.
//
// Attention, every layer and head: a query and key built from ONE on a set of RoPE pairs, so that
// after rotation the score peaks at the previous position (Δ = 1); values copy a chunk of A per KV
// head, wo writes it into B with weight 1/(L · kv_mul). A wrong RoPE, softmax, GQA mapping or a
// skipped layer leaves B short of the magnitude the FFN thresholds require.
//
// FFN of layer l: one hidden unit per context (prev, cur) assigned to l, whose gate fires only when
// A matches cur and B matches prev at the magnitude layer l has accumulated, (l + 1) / L. Its down
// projection writes next's code into C. The classifier reads C.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "slm/architecture.h"
#include "slm/quant.h"
#include "slm/tokenizer.h"
#include "slmgen/model_gen.h"
#include "slmgen/prng.h"
#include "slmgen/program.h"
#include "program_sequences.h"

namespace slmgen {

namespace {

constexpr double kGateActivation = 12.0;  // gate pre-activation of a recognised context; silu(-12) ≈ 0
constexpr double kAttentionGap = 20.0;    // score of the previous position over any other
constexpr double kLogitScale = 12.0;      // logit of the programmed token, the others ~0
constexpr double kUnusedCodeScale = 0.25; // classifier rows of tokens the program never emits
constexpr float kNoise = 1e-3f;           // every weight not set by the construction
constexpr float kNormNoise = 1e-2f;       // RMSNorm gains are 1 + this

double silu(double x) { return x / (1.0 + std::exp(-x)); }

// Row r of the m x m Sylvester-Hadamard matrix: (-1)^popcount(r & j).
float hadamard(std::uint32_t r, std::uint32_t j) { return (std::popcount(r & j) & 1) ? -1.0f : 1.0f; }

struct Layout {
  std::uint32_t m = 0, a = 0, b = 0, c = 0, one = 0;
};

// Longest code (a power of two, at most 64) that fits A, B, C and ONE into dim, with each KV
// head's chunk of A fitting in one head.
slm::Result<Layout> choose_layout(const ModelProgram& p) {
  const std::uint32_t head_dim = p.dim / p.heads;
  for (std::uint32_t m = 64; m >= 4; m /= 2) {
    if (3 * m + 1 <= p.dim && m % p.kv_heads == 0 && m / p.kv_heads <= head_dim) return Layout{m, 0, m, 2 * m, 3 * m};
  }
  return program_invalid("dim " + std::to_string(p.dim) + " is too small for a programmed model (needs 3m + 1 with m >= 4)");
}

// The subset of RoPE pairs [0, k) whose summed cosines peak most clearly at Δ = 1 over every
// Δ in [0, context): returns k and the gap |J| - max_{Δ != 1} Σ cos((Δ - 1) f_j).
std::pair<std::uint32_t, double> choose_rope_pairs(std::uint32_t head_dim, double theta, std::uint32_t context) {
  std::uint32_t best_k = 1;
  double best_score = -1, best_gap = 0;
  for (std::uint32_t k = 1; k <= head_dim / 2; ++k) {
    double worst = -1e300;
    for (std::uint32_t delta = 0; delta < std::max<std::uint32_t>(context, 2); ++delta) {
      if (delta == 1) continue;
      double s = 0;
      for (std::uint32_t j = 0; j < k; ++j) {
        const double f = std::exp(-(2.0 * j / head_dim) * std::log(theta));
        s += std::cos((static_cast<double>(delta) - 1.0) * f);
      }
      worst = std::max(worst, s);
    }
    const double gap = k - worst;
    if (gap / k > best_score) best_score = gap / k, best_k = k, best_gap = gap;  // gap per unit of r²
  }
  return {best_k, best_gap};
}

struct Matrix {  // row-major [rows, cols], f32 values before encoding
  std::uint64_t rows = 0, cols = 0;
  std::vector<float> v;
  float& at(std::uint64_t r, std::uint64_t c) { return v[static_cast<std::size_t>(r * cols + c)]; }
};

Matrix noise_matrix(std::uint64_t rows, std::uint64_t cols, float scale, SplitMix64& rng) {
  Matrix x{rows, cols, std::vector<float>(static_cast<std::size_t>(rows * cols))};
  for (auto& e : x.v) e = rng.symmetric() * scale;
  return x;
}

// What a row of values reads back as once stored in dtype.
std::vector<float> stored_values(slm::DType dtype, const std::vector<float>& row) {
  if (dtype == slm::DType::F32) return row;
  const auto bytes = slm::encode_tensor(dtype, row);
  std::vector<float> back(row.size());
  if (dtype == slm::DType::Q8_0) slm::dequantize_q8_0(bytes, back);
  else slm::dequantize_q4_0(bytes, back);
  return back;
}

}  // namespace

slm::Result<slm::Tokenizer> program_vocabulary(const std::vector<std::string>& pieces) {
  slm::Tokenizer t = synthetic_bpe_tokenizer(slm::kByteVocabSize);  // <unk> <s> </s> and the byte pieces
  std::set<std::string> present;
  const auto add = [&](const std::string& piece, float score) {
    if (present.insert(piece).second) t.pieces.push_back({piece, score});
  };
  add(" ", 0.0f);
  for (const auto& piece : pieces) {
    if (piece.empty() || piece.size() > 64) return program_invalid("a piece is empty or longer than 64 bytes");
    for (std::size_t i = 0; i < piece.size();) {  // the code points, as the encoder splits units
      std::size_t n = 1;
      while (i + n < piece.size() && n < 4 && (static_cast<unsigned char>(piece[i + n]) & 0xC0) == 0x80) ++n;
      add(piece.substr(i, n), 0.0f);
      i += n;
    }
  }
  std::set<std::string> merged;
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    const bool one_unit = std::count_if(pieces[k].begin() + 1, pieces[k].end(),
                                        [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }) ==
                              static_cast<std::ptrdiff_t>(pieces[k].size() - 1) &&
                          pieces[k].size() <= 4;
    if (one_unit) continue;  // a single code point is a unit already (score 0)
    if (!merged.insert(pieces[k]).second) return program_invalid("piece '" + pieces[k] + "' repeats");
    t.pieces.push_back({pieces[k], -static_cast<float>(k + 1)});
  }
  t.n_pieces = static_cast<std::uint32_t>(t.pieces.size());
  return t;
}

slm::Result<slm::ModelDescription> build_programmed_model(const ModelProgram& p) {
  slm::DType dtype{};
  if (!slm::parse_dtype(p.dtype, dtype)) return program_invalid("unknown dtype '" + p.dtype + "'");
  if (p.heads == 0 || p.kv_heads == 0 || p.layers == 0 || p.dim % p.heads != 0 || p.heads % p.kv_heads != 0 ||
      (p.dim / p.heads) % 2 != 0) {
    return program_invalid("heads must divide dim into even head sizes and kv_heads must divide heads");
  }
  const auto layout = choose_layout(p);
  if (!layout.ok()) return layout.status();
  const Layout lay = layout.value();

  slm::ModelDescription model;
  model.untied_output = true;  // the classifier reads C, the embedding writes A: they differ
  if (p.tokenizer != "bpe" && p.tokenizer != "byte") return program_invalid("tokenizer must be byte or bpe");
  if (!p.pieces.empty() && p.tokenizer != "bpe") return program_invalid("pieces need tokenizer bpe");
  if (!p.pieces.empty()) {
    auto vocabulary = program_vocabulary(p.pieces);
    if (!vocabulary.ok()) return vocabulary.status();
    model.tokenizer = std::move(vocabulary.value());
  } else {
    model.tokenizer = p.tokenizer == "bpe" ? synthetic_bpe_tokenizer(p.vocab) : byte_tokenizer();
  }
  slm::Hyperparameters& hp = model.hparams;
  hp = {model.tokenizer.n_pieces, p.dim, p.hidden_dim, p.layers, p.heads, p.kv_heads, p.max_seq_len, 1e-5f, 10000.0f};

  auto contexts = program_contexts(p, model.tokenizer);
  if (!contexts.ok()) return contexts.status();
  const ProgramContexts& ctx = contexts.value();
  if (ctx.used_tokens.size() > lay.m) {
    return program_invalid("the program uses " + std::to_string(ctx.used_tokens.size()) + " distinct tokens; dim " +
                           std::to_string(p.dim) + " holds codes for " + std::to_string(lay.m) + " (use dim >= " +
                           std::to_string(3 * 2 * lay.m + 1) + ")");
  }
  if (ctx.contexts.size() < p.layers) {
    return program_invalid("the program has " + std::to_string(ctx.contexts.size()) + " contexts; " +
                           std::to_string(p.layers) + " layers need at least one each so that every layer's FFN contributes");
  }
  const std::uint32_t L = p.layers, D = p.dim, m = lay.m, head_dim = D / p.heads, kv_mul = p.heads / p.kv_heads;
  const std::uint32_t chunk = m / p.kv_heads;
  for (std::uint32_t l = 0; l < L; ++l) {
    const auto units = (ctx.contexts.size() + L - 1 - l) / L;
    if (units > p.hidden_dim) return program_invalid("hidden_dim is smaller than the contexts layer " + std::to_string(l) + " holds");
  }

  // Token codes: Hadamard rows for used tokens, scaled random ±1 codes for the rest. The columns
  // are shuffled (which keeps the rows orthogonal): Sylvester rows below m/2 repeat their first half,
  // and a runtime that swaps the chunks two KV heads carry must not go unnoticed.
  SplitMix64 rng(p.seed);
  std::vector<std::uint32_t> column(m);
  for (std::uint32_t j = 0; j < m; ++j) column[j] = j;
  for (std::uint32_t j = m - 1; j > 0; --j) std::swap(column[j], column[static_cast<std::uint32_t>(rng.next() % (j + 1))]);
  std::vector<std::vector<float>> code(hp.vocab_size, std::vector<float>(m));
  std::vector<bool> used(hp.vocab_size, false);
  for (std::size_t i = 0; i < ctx.used_tokens.size(); ++i) {
    const auto t = ctx.used_tokens[i];
    used[t] = true;
    for (std::uint32_t j = 0; j < m; ++j) code[t][j] = hadamard(static_cast<std::uint32_t>(i), column[j]);
  }
  for (std::uint32_t t = 0; t < hp.vocab_size; ++t) {
    if (used[t]) continue;
    for (std::uint32_t j = 0; j < m; ++j) code[t][j] = (rng.next() >> 63) ? 0.5f : -0.5f;
  }

  // Magnitudes. ONE dominates the residual so that its RMS, hence RMSNorm's scale, barely depends on
  // the position; rms_nom is its nominal value (A full, B and C half-filled).
  const double one = 4.0 * std::sqrt(3.0 * m);
  const double rms_nom = std::sqrt((one * one + 2.0 * m) / D);
  const double one_normed = one / rms_nom;  // ONE after RMSNorm

  const auto [rope_pairs, rope_gap] = choose_rope_pairs(head_dim, hp.rope_theta, hp.max_seq_len);
  const double r = std::sqrt(kAttentionGap * std::sqrt(static_cast<double>(head_dim)) / rope_gap);

  auto norm_weights = [&] {
    Matrix g{1, D, std::vector<float>(D)};
    for (auto& e : g.v) e = 1.0f + rng.symmetric() * kNormNoise;
    return g;
  };

  Matrix emb = noise_matrix(hp.vocab_size, D, kNoise, rng);  // [vocab, dim]
  for (std::uint32_t t = 0; t < hp.vocab_size; ++t) {
    for (std::uint32_t j = 0; j < m; ++j) emb.at(t, lay.a + j) = code[t][j];
    emb.at(t, lay.one) = static_cast<float>(one);
  }

  // Each token's code as the stored embedding holds it: what B receives and a gate compares against.
  std::vector<std::vector<float>> stored_code(hp.vocab_size);
  for (std::uint32_t t = 0; t < hp.vocab_size; ++t) {
    const auto row = stored_values(dtype, std::vector<float>(emb.v.begin() + t * D, emb.v.begin() + (t + 1) * D));
    stored_code[t].assign(row.begin() + lay.a, row.begin() + lay.a + m);
  }

  std::map<std::string, std::pair<Matrix, bool>> tensors;
  tensors["tok_embeddings.weight"] = {emb, false};
  for (std::uint32_t l = 0; l < L; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    const std::uint32_t kv_dim = head_dim * p.kv_heads;
    Matrix wq = noise_matrix(D, D, kNoise, rng);       // [dim, dim]
    Matrix wk = noise_matrix(kv_dim, D, kNoise, rng);  // [kv_dim, dim]
    Matrix wv = noise_matrix(kv_dim, D, kNoise, rng);  // [kv_dim, dim]
    Matrix wo = noise_matrix(D, D, kNoise, rng);       // [dim, dim]
    for (std::uint32_t j = 0; j < rope_pairs; ++j) {
      const double f = std::exp(-(2.0 * j / head_dim) * std::log(static_cast<double>(hp.rope_theta)));
      for (std::uint32_t h = 0; h < p.heads; ++h) {
        wq.at(h * head_dim + 2 * j, lay.one) = static_cast<float>(r / one_normed);
        wq.at(h * head_dim + 2 * j + 1, lay.one) = 0.0f;
      }
      for (std::uint32_t g = 0; g < p.kv_heads; ++g) {  // the key leads by one position's angle
        wk.at(g * head_dim + 2 * j, lay.one) = static_cast<float>(r * std::cos(f) / one_normed);
        wk.at(g * head_dim + 2 * j + 1, lay.one) = static_cast<float>(r * std::sin(f) / one_normed);
      }
    }
    for (std::uint32_t g = 0; g < p.kv_heads; ++g) {
      for (std::uint32_t i = 0; i < chunk; ++i) wv.at(g * head_dim + i, lay.a + g * chunk + i) = static_cast<float>(rms_nom);
    }
    for (std::uint32_t h = 0; h < p.heads; ++h) {
      const std::uint32_t g = h / kv_mul;
      for (std::uint32_t i = 0; i < chunk; ++i) {
        wo.at(lay.b + g * chunk + i, h * head_dim + i) = 1.0f / static_cast<float>(L * kv_mul);
      }
    }

    // FFN: the contexts assigned to this layer, in order of first appearance.
    Matrix w1 = noise_matrix(p.hidden_dim, D, kNoise, rng);  // [hidden, dim] gate
    Matrix w2 = noise_matrix(D, p.hidden_dim, kNoise, rng);  // [dim, hidden] down
    Matrix w3 = noise_matrix(p.hidden_dim, D, kNoise, rng);  // [hidden, dim] up
    // A gate fires when A and B match its context at the level layer l has accumulated. Its threshold
    // sits 1/(2L) of the previous-token share below that score: one layer's attention missing (or
    // attending elsewhere) drops the score by 1/L of that share, below the threshold. Scores are
    // computed on the weights as the file stores them (q4_0 maps a ±1 block to +1 / -7/8).
    const double prev_level = static_cast<double>(l + 1) / L;  // B holds this fraction of code(prev)
    std::uint32_t unit = 0;
    for (std::size_t k = l; k < ctx.contexts.size(); k += L, ++unit) {
      const auto& c = ctx.contexts[k];
      std::vector<float> row(D, 0.0f);
      for (std::uint32_t j = 0; j < m; ++j) row[lay.a + j] = code[c.current][j], row[lay.b + j] = code[c.previous][j];
      const auto stored = stored_values(dtype, row);
      auto score = [&](std::uint32_t cur, std::uint32_t prev) {
        double s = 0;
        for (std::uint32_t j = 0; j < m; ++j) {
          s += static_cast<double>(stored[lay.a + j]) * stored_code[cur][j] +
               prev_level * stored[lay.b + j] * stored_code[prev][j];
        }
        return s;
      };
      const double match = score(c.current, c.previous);
      double previous_share = 0;  // B's part of the score once every layer has added its share
      for (std::uint32_t j = 0; j < m; ++j) previous_share += static_cast<double>(stored[lay.b + j]) * stored_code[c.previous][j];
      const double threshold = match - previous_share / (2.0 * L);
      double best_other = -1e300;
      for (auto cur : ctx.used_tokens) {
        for (auto prev : ctx.used_tokens) {
          if (cur != c.current || prev != c.previous) best_other = std::max(best_other, score(cur, prev));
        }
      }
      if (!(threshold - best_other > 0.25 * (match - threshold))) return program_invalid("internal: codes do not separate a context");
      const double alpha = kGateActivation * rms_nom / (match - threshold);
      for (std::uint32_t j = 0; j < m; ++j) {
        w1.at(unit, lay.a + j) = static_cast<float>(alpha * code[c.current][j]);
        w1.at(unit, lay.b + j) = static_cast<float>(alpha * code[c.previous][j]);
        w2.at(lay.c + j, unit) = static_cast<float>(code[c.next][j] / silu(kGateActivation));
      }
      w1.at(unit, lay.one) = static_cast<float>(-alpha * threshold / one);
      w3.at(unit, lay.one) = static_cast<float>(1.0 / one_normed);
    }
    for (; unit < p.hidden_dim; ++unit) w1.at(unit, lay.one) = static_cast<float>(-kGateActivation / one_normed);

    tensors[pre + "attention_norm.weight"] = {norm_weights(), true};
    tensors[pre + "attention.wq.weight"] = {wq, false};
    tensors[pre + "attention.wk.weight"] = {wk, false};
    tensors[pre + "attention.wv.weight"] = {wv, false};
    tensors[pre + "attention.wo.weight"] = {wo, false};
    tensors[pre + "ffn_norm.weight"] = {norm_weights(), true};
    tensors[pre + "feed_forward.w1.weight"] = {w1, false};
    tensors[pre + "feed_forward.w2.weight"] = {w2, false};
    tensors[pre + "feed_forward.w3.weight"] = {w3, false};
  }
  tensors["norm.weight"] = {norm_weights(), true};
  Matrix classifier = noise_matrix(hp.vocab_size, D, kNoise, rng);  // [vocab, dim]
  const double kappa = kLogitScale * rms_nom / m;
  for (std::uint32_t t = 0; t < hp.vocab_size; ++t) {
    const double s = used[t] ? kappa : kappa * kUnusedCodeScale;
    for (std::uint32_t j = 0; j < m; ++j) classifier.at(t, lay.c + j) = static_cast<float>(s * code[t][j]);
  }
  tensors["output.weight"] = {classifier, false};

  for (const auto& req : slm::required_tensors(hp, true)) {
    const auto it = tensors.find(req.name);
    if (it == tensors.end()) return program_invalid("internal: no weights for " + req.name);
    const slm::DType d = req.norm ? slm::DType::F32 : dtype;
    model.tensors.push_back({req.name, d, req.shape, slm::encode_tensor(d, it->second.first.v)});
  }
  return model;
}

}  // namespace slmgen
