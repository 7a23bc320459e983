#include "slm/transformer.h"

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

}  // namespace

Result<std::unique_ptr<Transformer>> Transformer::create(std::shared_ptr<const LoadedModel> model, std::uint32_t context) {
  const Hyperparameters& hp = model->info().header.hparams;
  if (context == 0 || context > hp.max_seq_len) context = hp.max_seq_len;
  std::unique_ptr<Transformer> t(new Transformer());
  t->hp_ = hp;
  t->context_ = context;
  t->head_dim_ = hp.dim / hp.n_heads;
  t->kv_dim_ = t->head_dim_ * hp.n_kv_heads;
  t->kv_mul_ = hp.n_heads / hp.n_kv_heads;
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
  const bool ok = try_resize(t->x_, hp.dim) && try_resize(t->xb_, hp.dim) && try_resize(t->xb2_, hp.dim) &&
                  try_resize(t->hb_, hp.hidden_dim) && try_resize(t->hb2_, hp.hidden_dim) &&
                  try_resize(t->q_, hp.dim) && try_resize(t->att_, std::uint64_t{hp.n_heads} * context) &&
                  try_resize(t->logits_, hp.vocab_size) && try_resize(t->key_cache_, cache) &&
                  try_resize(t->value_cache_, cache) && try_resize(t->rope_freq_, t->head_dim_ / 2) &&
                  try_resize(t->rope_cos_, t->head_dim_ / 2) && try_resize(t->rope_sin_, t->head_dim_ / 2);
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
  const std::size_t n = x_.size() + xb_.size() + xb2_.size() + hb_.size() + hb2_.size() + q_.size() + att_.size() +
                        logits_.size() + rope_freq_.size() + rope_cos_.size() + rope_sin_.size();
  return n * sizeof(float);
}

const std::vector<float>& Transformer::forward(std::uint32_t token, std::uint32_t pos) {
  const std::uint32_t dim = hp_.dim, hidden = hp_.hidden_dim, hd = head_dim_, half = hd / 2;
  float* x = x_.data();
  dequantize_row(*w_.token_embedding, token, x);
  // angle = pos * freq_j in double; cos and sin rounded to f32
  for (std::uint32_t j = 0; j < half; ++j) {
    const double angle = static_cast<double>(pos) * static_cast<double>(rope_freq_[j]);
    rope_cos_[j] = static_cast<float>(math::cos(angle));
    rope_sin_[j] = static_cast<float>(math::sin(angle));
  }
  const float* rc = rope_cos_.data();
  const float* rs = rope_sin_.data();
  const float sqrt_hd = std::sqrt(static_cast<float>(hd));

  for (std::uint32_t l = 0; l < hp_.n_layers; ++l) {
    const LayerWeights& lw = w_.layers[l];
    // attention: xb = rmsnorm(x); q = wq xb; k, v = wk xb, wv xb straight into the cache at pos
    rmsnorm(xb_.data(), x, f32_data(lw.attention_norm), dim, hp_.norm_eps);
    const std::size_t layer_offset = std::size_t{l} * context_ * kv_dim_;
    float* k = &key_cache_[layer_offset + std::size_t{pos} * kv_dim_];
    float* v = &value_cache_[layer_offset + std::size_t{pos} * kv_dim_];
    matvec(*lw.wq, xb_.data(), q_.data());
    matvec(*lw.wk, xb_.data(), k);
    matvec(*lw.wv, xb_.data(), v);
    const auto rotate = fault_active("rope-halves") ? rotate_halves : rotate_pairs;
    rotate(q_.data(), hp_.n_heads, hd, rc, rs);
    rotate(k, hp_.n_kv_heads, hd, rc, rs);
    // multi-head attention over positions 0..pos; query head h reads KV head h / kv_mul
    for (std::uint32_t h = 0; h < hp_.n_heads; ++h) {
      const float* qh = &q_[std::size_t{h} * hd];
      float* att = &att_[std::size_t{h} * context_];
      const std::size_t kv_head = std::size_t{fault_active("gqa-modulo") ? h % hp_.n_kv_heads : h / kv_mul_} * hd;
      for (std::uint32_t t = 0; t <= pos; ++t) {
        att[t] = dot(qh, &key_cache_[layer_offset + std::size_t{t} * kv_dim_ + kv_head], hd) / sqrt_hd;
      }
      softmax(att, pos + 1);
      // xb_h[i] = sum over t of att[t] * v_t[i], accumulated in t order
      float* out = &xb_[std::size_t{h} * hd];
      for (std::uint32_t i = 0; i < hd; ++i) out[i] = 0.0f;
      for (std::uint32_t t = 0; t <= pos; ++t) {
        const float* vt = &value_cache_[layer_offset + std::size_t{t} * kv_dim_ + kv_head];
        for (std::uint32_t i = 0; i < hd; ++i) out[i] = out[i] + att[t] * vt[i];
      }
    }
    matvec(*lw.wo, xb_.data(), xb2_.data());
    for (std::uint32_t i = 0; i < dim; ++i) x[i] = x[i] + xb2_[i];
    // SwiGLU feed-forward: x += w2 (silu(w1 xb) * (w3 xb))
    rmsnorm(xb_.data(), x, f32_data(lw.ffn_norm), dim, hp_.norm_eps);
    matvec(*lw.w1, xb_.data(), hb_.data());
    matvec(*lw.w3, xb_.data(), hb2_.data());
    for (std::uint32_t i = 0; i < hidden; ++i) hb_[i] = math::silu_f32(hb_[i]) * hb2_[i];
    matvec(*lw.w2, hb_.data(), xb2_.data());
    for (std::uint32_t i = 0; i < dim; ++i) x[i] = x[i] + xb2_[i];
  }
  rmsnorm(x, x, f32_data(w_.final_norm), dim, hp_.norm_eps);
  matvec(*w_.classifier, x, logits_.data());
  return logits_;
}

}  // namespace slm
