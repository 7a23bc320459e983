// The Llama-style decoder's forward pass (spec/runtime.md, "Forward pass"), llama2.c's shape:
// one token at a time, a KV cache, every weight read in its native storage.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "slm/model_file.h"

namespace slm {

struct LayerWeights {
  const TensorView* attention_norm;  // [dim]                 f32
  const TensorView* wq;              // [dim, dim]            (out, in)
  const TensorView* wk;              // [kv_dim, dim]
  const TensorView* wv;              // [kv_dim, dim]
  const TensorView* wo;              // [dim, dim]
  const TensorView* ffn_norm;        // [dim]                 f32
  const TensorView* w1;              // [hidden_dim, dim]     gate
  const TensorView* w2;              // [dim, hidden_dim]     down
  const TensorView* w3;              // [hidden_dim, dim]     up
};

struct Weights {
  const TensorView* token_embedding;  // [vocab, dim]
  std::vector<LayerWeights> layers;
  const TensorView* final_norm;       // [dim]                f32
  const TensorView* classifier;       // [vocab, dim]         output.weight, or the embedding when tied
};

// Activations and the KV cache of one sequence. Sizes (f32 elements):
//   x, xb, xb2: dim    hb, hb2: hidden_dim    q: dim    att: n_heads * context
//   key_cache, value_cache: n_layers * context * kv_dim    logits: vocab
class Transformer {
public:
  // The model must outlive the transformer. context = positions the KV cache holds (<= max_seq_len).
  static Result<std::unique_ptr<Transformer>> create(std::shared_ptr<const LoadedModel> model, std::uint32_t context);

  // Runs token at position pos (0 <= pos < context, positions in order from 0) and returns the
  // logits over the vocabulary. Positions must be fed in order: pos writes the KV cache at pos.
  const std::vector<float>& forward(std::uint32_t token, std::uint32_t pos);

  std::uint32_t context() const { return context_; }
  std::uint64_t kv_cache_bytes() const { return (key_cache_.size() + value_cache_.size()) * sizeof(float); }
  std::uint64_t scratch_bytes() const;

private:
  Transformer() = default;
  std::shared_ptr<const LoadedModel> model_;
  Hyperparameters hp_;
  Weights w_{};
  std::uint32_t context_ = 0, head_dim_ = 0, kv_dim_ = 0, kv_mul_ = 0;
  std::vector<float> x_, xb_, xb2_, hb_, hb2_, q_, att_, logits_, key_cache_, value_cache_;
  std::vector<float> rope_freq_;            // [head_dim / 2]
  std::vector<float> rope_cos_, rope_sin_;  // [head_dim / 2], for the current position
};

}  // namespace slm
