#include "llama2c_baseline.h"

#include <cmath>

namespace slmbench {

namespace {

const float* f32(const slm::LoadedModel& m, std::size_t i) {
  return reinterpret_cast<const float*>(m.tensors()[i].bytes.data());
}

// run.c's matmul: W (d, n) @ x (n) -> xout (d), each row summed left to right. Built with OpenMP
// (bench/llama2c_omp_bench.cpp, llama2.c's `runomp`), the rows are split across threads as run.c does.
void matmul(float* xout, const float* x, const float* w, int n, int d) {
#ifdef _OPENMP
#pragma omp parallel for
#endif
  for (int i = 0; i < d; i++) {
    float val = 0.0f;
    for (int j = 0; j < n; j++) val += w[i * n + j] * x[j];
    xout[i] = val;
  }
}

void rmsnorm(float* o, const float* x, const float* weight, int size) {
  float ss = 0.0f;
  for (int j = 0; j < size; j++) ss += x[j] * x[j];
  ss /= static_cast<float>(size);
  ss += 1e-5f;
  ss = 1.0f / std::sqrt(ss);
  for (int j = 0; j < size; j++) o[j] = weight[j] * (ss * x[j]);
}

void softmax(float* x, int size) {
  float max_val = x[0];
  for (int i = 1; i < size; i++) max_val = std::max(max_val, x[i]);
  float sum = 0.0f;
  for (int i = 0; i < size; i++) {
    x[i] = std::exp(x[i] - max_val);
    sum += x[i];
  }
  for (int i = 0; i < size; i++) x[i] /= sum;
}

}  // namespace

BaselineTransformer::BaselineTransformer(const slm::LoadedModel& model) : model_(model), hp_(model.info().header.hparams) {
  const std::size_t kv_dim = hp_.dim / hp_.n_heads * hp_.n_kv_heads;
  x_.resize(hp_.dim);
  xb_.resize(hp_.dim);
  xb2_.resize(hp_.dim);
  hb_.resize(hp_.hidden_dim);
  hb2_.resize(hp_.hidden_dim);
  q_.resize(hp_.dim);
  att_.resize(std::size_t{hp_.n_heads} * hp_.max_seq_len);
  logits_.resize(hp_.vocab_size);
  key_cache_.resize(std::size_t{hp_.n_layers} * hp_.max_seq_len * kv_dim);
  value_cache_.resize(key_cache_.size());
}

const std::vector<float>& BaselineTransformer::forward(std::uint32_t token, std::uint32_t pos_u) {
  const int dim = static_cast<int>(hp_.dim), hidden = static_cast<int>(hp_.hidden_dim);
  const int head_size = dim / static_cast<int>(hp_.n_heads);
  const int kv_dim = head_size * static_cast<int>(hp_.n_kv_heads);
  const int kv_mul = static_cast<int>(hp_.n_heads / hp_.n_kv_heads), seq_len = static_cast<int>(hp_.max_seq_len);
  const int pos = static_cast<int>(pos_u);
  float* x = x_.data();
  const float* embedding = f32(model_, 0);
  for (int i = 0; i < dim; i++) x[i] = embedding[static_cast<std::size_t>(token) * hp_.dim + static_cast<std::size_t>(i)];
  for (int l = 0; l < static_cast<int>(hp_.n_layers); l++) {
    const std::size_t base = 1 + 9 * static_cast<std::size_t>(l);
    rmsnorm(xb_.data(), x, f32(model_, base), dim);
    const std::size_t loff = static_cast<std::size_t>(l) * static_cast<std::size_t>(seq_len * kv_dim);
    float* k = key_cache_.data() + loff + static_cast<std::size_t>(pos * kv_dim);
    float* v = value_cache_.data() + loff + static_cast<std::size_t>(pos * kv_dim);
    matmul(q_.data(), xb_.data(), f32(model_, base + 1), dim, dim);
    matmul(k, xb_.data(), f32(model_, base + 2), dim, kv_dim);
    matmul(v, xb_.data(), f32(model_, base + 3), dim, kv_dim);
    for (int i = 0; i < dim; i += 2) {
      const int head_dim = i % head_size;
      const float freq = 1.0f / std::pow(10000.0f, static_cast<float>(head_dim) / static_cast<float>(head_size));
      const float val = static_cast<float>(pos) * freq, fcr = std::cos(val), fci = std::sin(val);
      for (int which = 0; which < (i < kv_dim ? 2 : 1); which++) {
        float* vec = which == 0 ? q_.data() : k;
        const float v0 = vec[i], v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
      }
    }
#ifdef _OPENMP
#pragma omp parallel for  // run.c's heads loop under `runomp`
#endif
    for (int h = 0; h < static_cast<int>(hp_.n_heads); h++) {
      const float* q = q_.data() + h * head_size;
      float* att = att_.data() + h * seq_len;
      for (int t = 0; t <= pos; t++) {
        const float* kt = key_cache_.data() + loff + static_cast<std::size_t>(t * kv_dim + (h / kv_mul) * head_size);
        float score = 0.0f;
        for (int i = 0; i < head_size; i++) score += q[i] * kt[i];
        att[t] = score / std::sqrt(static_cast<float>(head_size));
      }
      softmax(att, pos + 1);
      float* xb = xb_.data() + h * head_size;
      for (int i = 0; i < head_size; i++) xb[i] = 0.0f;
      for (int t = 0; t <= pos; t++) {
        const float* vt = value_cache_.data() + loff + static_cast<std::size_t>(t * kv_dim + (h / kv_mul) * head_size);
        for (int i = 0; i < head_size; i++) xb[i] += att[t] * vt[i];
      }
    }
    matmul(xb2_.data(), xb_.data(), f32(model_, base + 4), dim, dim);
    for (int i = 0; i < dim; i++) x[i] += xb2_[static_cast<std::size_t>(i)];
    rmsnorm(xb_.data(), x, f32(model_, base + 5), dim);
    matmul(hb_.data(), xb_.data(), f32(model_, base + 6), dim, hidden);
    matmul(hb2_.data(), xb_.data(), f32(model_, base + 8), dim, hidden);
    for (int i = 0; i < hidden; i++) {
      float val = hb_[static_cast<std::size_t>(i)];
      val *= (1.0f / (1.0f + std::exp(-val)));
      hb_[static_cast<std::size_t>(i)] = val * hb2_[static_cast<std::size_t>(i)];
    }
    matmul(xb_.data(), hb_.data(), f32(model_, base + 7), hidden, dim);
    for (int i = 0; i < dim; i++) x[i] += xb_[static_cast<std::size_t>(i)];
  }
  rmsnorm(x, x, f32(model_, 1 + 9 * std::size_t{hp_.n_layers}), dim);
  const bool untied = model_.tensors().size() == 3 + 9 * std::size_t{hp_.n_layers};
  matmul(logits_.data(), x, untied ? f32(model_, model_.tensors().size() - 1) : embedding, dim, static_cast<int>(hp_.vocab_size));
  return logits_;
}

}  // namespace slmbench
