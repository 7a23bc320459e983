#include "slm/transformer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "slm/kernels.h"
#include "slm/math.h"
#include "check.h"

namespace slm {

namespace {

const float* f32_data(const TensorView* t) { return reinterpret_cast<const float*>(t->bytes.data()); }

// RoPE: in every head, the pair (2j, 2j+1) becomes (a c_j - b s_j, a s_j + b c_j).
void rotate_pairs(float* v, std::uint32_t heads, std::uint32_t head_dim, const float* c, const float* s) {
  for (std::uint32_t h = 0; h < heads; ++h) {
    for (std::uint32_t j = 0; j < head_dim / 2; ++j) {
      float* p = v + std::size_t{h} * head_dim + 2 * j;
      const float a = p[0], b = p[1];
      p[0] = a * c[j] - b * s[j];
      p[1] = a * s[j] + b * c[j];
    }
  }
}

// Test-only fault (check.h): GPT-NeoX's pairing, element i with i + head_dim/2.
void rotate_halves(float* v, std::uint32_t heads, std::uint32_t head_dim, const float* c, const float* s) {
  for (std::uint32_t h = 0; h < heads; ++h) {
    for (std::uint32_t j = 0; j < head_dim / 2; ++j) {
      float* p = v + std::size_t{h} * head_dim;
      const float a = p[j], b = p[j + head_dim / 2];
      p[j] = a * c[j] - b * s[j];
      p[j + head_dim / 2] = a * s[j] + b * c[j];
    }
  }
}

// vector.assign() that reports failure instead of throwing (wasm32 builds have no exceptions):
// the sizes come from validated, limit-checked hyperparameters but can still exceed memory.
bool try_resize(std::vector<float>& v, std::uint64_t n) {
  if (n > v.max_size()) return false;
  v.assign(static_cast<std::size_t>(n), 0.0f);
  return true;
}

// Tokens of a prompt that go through the layers together: enough to read every weight row once
// for many tokens, few enough that the batch's activations stay small next to the KV cache.
constexpr std::uint32_t kBatch = 64;

// Rows a thread's share of a matrix is a multiple of: the AVX2 kernels' blocks of four rows, and
// two threads seldom write to the same cache line of the output.
constexpr std::size_t kRowGrain = 8;

// Multiply-adds below which one thread does a job faster than it can hand half of it to another.
constexpr std::uint64_t kMinParallelWork = 1 << 12;

// A matrix times the batch's vectors: out[t * out_stride + r] = W row r . x[t * x_stride ..].
struct Product {
  const TensorView* w;
  const float* x;
  std::size_t x_stride;
  float* out;
  std::size_t out_stride;
};

std::size_t rows(const TensorView& w) { return static_cast<std::size_t>(w.entry->dims[0]); }

// The rows of part `part` of `parts` (ThreadPool::chunk), for all n vectors.
void product_part(const Product& p, std::uint32_t n, std::uint32_t part, std::uint32_t parts, float* scratch) {
  const auto [begin, end] = ThreadPool::chunk(rows(*p.w), kRowGrain, part, parts);
  if (begin < end) matmul_rows(*p.w, p.x, p.x_stride, n, p.out, p.out_stride, begin, end, scratch);
}

}  // namespace

Result<std::unique_ptr<Transformer>> Transformer::create(std::shared_ptr<const LoadedModel> model, std::uint32_t context,
                                                         std::uint32_t threads, std::uint32_t max_batch) {
  const Hyperparameters& hp = model->info().header.hparams;
  if (context == 0 || context > hp.max_seq_len) context = hp.max_seq_len;
  std::unique_ptr<Transformer> t(new Transformer());
  t->hp_ = hp;
  t->context_ = context;
  t->head_dim_ = hp.dim / hp.n_heads;
  t->kv_dim_ = t->head_dim_ * hp.n_kv_heads;
  t->kv_mul_ = hp.n_heads / hp.n_kv_heads;
  t->batch_ = std::clamp(std::min(max_batch, kBatch), 1u, context);
  t->pool_ = std::make_unique<ThreadPool>(threads);
  // Bind weights by the canonical order of spec/format.md 8.3 (validated at load).
  const auto& views = model->tensors();
  std::size_t i = 0;
  t->w_.token_embedding = &views[i++];
  for (std::uint32_t l = 0; l < hp.n_layers; ++l) {
    LayerWeights lw{};
    lw.attention_norm = &views[i++];
    lw.wq = &views[i++];
    lw.wk = &views[i++];
    lw.wv = &views[i++];
    lw.wo = &views[i++];
    lw.ffn_norm = &views[i++];
    lw.w1 = &views[i++];
    lw.w2 = &views[i++];
    lw.w3 = &views[i++];
    t->w_.layers.push_back(lw);
  }
  t->w_.final_norm = &views[i++];
  t->w_.classifier = i < views.size() ? &views[i] : t->w_.token_embedding;

  const std::uint64_t cache = std::uint64_t{hp.n_layers} * context * t->kv_dim_;
  const std::uint64_t b = t->batch_, half = t->head_dim_ / 2;
  const std::uint64_t dequantized = std::uint64_t{t->pool_->size()} * kMatmulScratchRows * std::max(hp.dim, hp.hidden_dim);
  const bool ok = try_resize(t->x_, b * hp.dim) && try_resize(t->xb_, b * hp.dim) && try_resize(t->xb2_, b * hp.dim) &&
                  try_resize(t->hb_, b * hp.hidden_dim) && try_resize(t->hb2_, b * hp.hidden_dim) &&
                  try_resize(t->q_, b * hp.dim) && try_resize(t->att_, std::uint64_t{hp.n_heads} * context) &&
                  try_resize(t->logits_, hp.vocab_size) && try_resize(t->key_cache_, cache) &&
                  try_resize(t->value_cache_, cache) && try_resize(t->rope_freq_, half) &&
                  try_resize(t->rope_cos_, b * half) && try_resize(t->rope_sin_, b * half) &&
                  try_resize(t->dequantized_, dequantized);
  if (!ok) {
    return make_error(ErrorCode::E_LIMIT_ADDRESS_SPACE, kNoOffset,
                      "KV cache for " + std::to_string(context) + " positions does not fit");
  }
  // RoPE: pair (2j, 2j+1) of every head rotates by pos * freq_j, freq_j = theta^(-2j / head_dim),
  // computed in double with the project's own exp/log and rounded to f32 once.
  const double log_theta = math::log(static_cast<double>(hp.rope_theta));
  for (std::uint32_t j = 0; j < t->head_dim_ / 2; ++j) {
    t->rope_freq_[j] = static_cast<float>(math::exp(-(2.0 * j / t->head_dim_) * log_theta));
  }
  t->model_ = std::move(model);
  return t;
}

std::uint64_t Transformer::scratch_bytes() const {
  const std::uint64_t half = head_dim_ / 2;
  const std::uint64_t n = 4 * std::uint64_t{hp_.dim} + 2 * std::uint64_t{hp_.hidden_dim} + att_.size() + logits_.size() + 3 * half;
  return n * sizeof(float);
}

std::uint64_t Transformer::batch_bytes() const {
  const std::uint64_t half = head_dim_ / 2;
  const std::uint64_t per_token = 4 * std::uint64_t{hp_.dim} + 2 * std::uint64_t{hp_.hidden_dim} + 2 * half;
  return ((batch_ - 1) * per_token + dequantized_.size()) * sizeof(float);
}

template <class F>
void Transformer::parallel(std::uint64_t work, F&& f) {
  const std::uint32_t parts = work < kMinParallelWork ? 1 : pool_->size();
  if (parts == 1) return f(std::uint32_t{0}, std::uint32_t{1});
  pool_->run([&](std::uint32_t part) { f(part, parts); });
}

const std::vector<float>& Transformer::forward(std::uint32_t token, std::uint32_t pos) {
  run(&token, 1, pos, true);
  return logits_;
}

const std::vector<float>& Transformer::prefill(std::span<const std::uint32_t> tokens, std::uint32_t pos, bool logits) {
  for (std::size_t i = 0; i < tokens.size(); i += batch_) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(batch_, tokens.size() - i));
    run(tokens.data() + i, n, pos + static_cast<std::uint32_t>(i), logits && i + n == tokens.size());
  }
  return logits_;
}

// The steps of spec/runtime.md 2 for n tokens at once: every matrix product over all n tokens
// (rows split among the threads), then each token's own elementwise steps and its attention over
// positions 0..its own (heads split among the threads), exactly as one token at a time computes them.
void Transformer::run(const std::uint32_t* tokens, std::uint32_t n, std::uint32_t pos, bool logits) {
  const std::uint32_t dim = hp_.dim, hidden = hp_.hidden_dim, hd = head_dim_, half = hd / 2, kvd = kv_dim_;
  const std::uint32_t heads = hp_.n_heads, kv_heads = hp_.n_kv_heads;
  const std::size_t scratch_floats = kMatmulScratchRows * std::max(dim, hidden);
  auto scratch = [&](std::uint32_t part) { return dequantized_.data() + part * scratch_floats; };
  for (std::uint32_t i = 0; i < n; ++i) {
    dequantize_row(*w_.token_embedding, tokens[i], &x_[std::size_t{i} * dim]);
    // angle = pos * freq_j in double; cos and sin rounded to f32
    for (std::uint32_t j = 0; j < half; ++j) {
      const double angle = static_cast<double>(pos + i) * static_cast<double>(rope_freq_[j]);
      rope_cos_[std::size_t{i} * half + j] = static_cast<float>(math::cos(angle));
      rope_sin_[std::size_t{i} * half + j] = static_cast<float>(math::sin(angle));
    }
  }
  const float sqrt_hd = std::sqrt(static_cast<float>(hd));
  const auto rotate = fault_active("rope-halves") ? rotate_halves : rotate_pairs;
  const bool gqa_modulo = fault_active("gqa-modulo");
  float* const x = x_.data();
  float* const xb = xb_.data();
  float* const xb2 = xb2_.data();
  float* const q = q_.data();
  float* const hb = hb_.data();
  float* const hb2 = hb2_.data();

  for (std::uint32_t l = 0; l < hp_.n_layers; ++l) {
    const LayerWeights& lw = w_.layers[l];
    // attention: xb = rmsnorm(x); q = wq xb; k, v = wk xb, wv xb straight into the cache at pos..
    for (std::uint32_t i = 0; i < n; ++i) {
      rmsnorm(xb + std::size_t{i} * dim, x + std::size_t{i} * dim, f32_data(lw.attention_norm), dim, hp_.norm_eps);
    }
    const std::size_t layer_offset = std::size_t{l} * context_ * kvd;
    float* k = &key_cache_[layer_offset + std::size_t{pos} * kvd];
    float* v = &value_cache_[layer_offset + std::size_t{pos} * kvd];
    const Product qkv[] = {{lw.wq, xb, dim, q, dim}, {lw.wk, xb, dim, k, kvd}, {lw.wv, xb, dim, v, kvd}};
    parallel(std::uint64_t{n} * dim * (dim + 2 * std::uint64_t{kvd}), [&](std::uint32_t part, std::uint32_t parts) {
      for (const Product& p : qkv) product_part(p, n, part, parts, scratch(part));
    });
    for (std::uint32_t i = 0; i < n; ++i) {
      rotate(q + std::size_t{i} * dim, heads, hd, &rope_cos_[std::size_t{i} * half], &rope_sin_[std::size_t{i} * half]);
      rotate(k + std::size_t{i} * kvd, kv_heads, hd, &rope_cos_[std::size_t{i} * half], &rope_sin_[std::size_t{i} * half]);
    }
    // multi-head attention of token i over positions 0..pos+i; query head h reads KV head h / kv_mul
    const std::uint64_t attention_work = std::uint64_t{n} * heads * (pos + n) * hd * 2;
    parallel(attention_work, [&](std::uint32_t part, std::uint32_t parts) {
      const auto [first, last] = ThreadPool::chunk(heads, 1, part, parts);
      for (std::size_t h = first; h < last; ++h) {
        float* att = &att_[h * context_];
        const std::size_t kv_head = (gqa_modulo ? h % kv_heads : h / kv_mul_) * hd;
        for (std::uint32_t i = 0; i < n; ++i) {
          const std::uint32_t p = pos + i;
          const float* qh = q + std::size_t{i} * dim + h * hd;
          for (std::uint32_t t = 0; t <= p; ++t) {
            att[t] = dot(qh, &key_cache_[layer_offset + std::size_t{t} * kvd + kv_head], hd) / sqrt_hd;
          }
          softmax(att, p + 1);
          // xb_h[i] = sum over t of att[t] * v_t[i], accumulated in t order
          float* out = xb + std::size_t{i} * dim + h * hd;
          for (std::uint32_t e = 0; e < hd; ++e) out[e] = 0.0f;
          for (std::uint32_t t = 0; t <= p; ++t) {
            const float* vt = &value_cache_[layer_offset + std::size_t{t} * kvd + kv_head];
            for (std::uint32_t e = 0; e < hd; ++e) out[e] = out[e] + att[t] * vt[e];
          }
        }
      }
    });
    const Product wo{lw.wo, xb, dim, xb2, dim};
    parallel(std::uint64_t{n} * dim * dim, [&](std::uint32_t part, std::uint32_t parts) { product_part(wo, n, part, parts, scratch(part)); });
    for (std::size_t e = 0; e < std::size_t{n} * dim; ++e) x[e] = x[e] + xb2[e];
    // SwiGLU feed-forward: x += w2 (silu(w1 xb) * (w3 xb)); each thread gates the rows it computed
    for (std::uint32_t i = 0; i < n; ++i) {
      rmsnorm(xb + std::size_t{i} * dim, x + std::size_t{i} * dim, f32_data(lw.ffn_norm), dim, hp_.norm_eps);
    }
    const Product gate_up[] = {{lw.w1, xb, dim, hb, hidden}, {lw.w3, xb, dim, hb2, hidden}};
    parallel(std::uint64_t{n} * hidden * dim * 2, [&](std::uint32_t part, std::uint32_t parts) {
      for (const Product& p : gate_up) product_part(p, n, part, parts, scratch(part));
      const auto [first, last] = ThreadPool::chunk(hidden, kRowGrain, part, parts);
      for (std::uint32_t i = 0; i < n; ++i) {
        float* g = hb + std::size_t{i} * hidden;
        const float* u = hb2 + std::size_t{i} * hidden;
        silu_gate(g + first, u + first, last - first);
      }
    });
    const Product down{lw.w2, hb, hidden, xb2, dim};
    parallel(std::uint64_t{n} * dim * hidden, [&](std::uint32_t part, std::uint32_t parts) { product_part(down, n, part, parts, scratch(part)); });
    for (std::size_t e = 0; e < std::size_t{n} * dim; ++e) x[e] = x[e] + xb2[e];
  }
  if (!logits) return;
  float* last = x + std::size_t{n - 1} * dim;
  rmsnorm(last, last, f32_data(w_.final_norm), dim, hp_.norm_eps);
  const Product classifier{w_.classifier, last, dim, logits_.data(), 0};
  parallel(std::uint64_t{hp_.vocab_size} * dim, [&](std::uint32_t part, std::uint32_t parts) {
    product_part(classifier, 1, part, parts, scratch(part));
  });
}

}  // namespace slm
