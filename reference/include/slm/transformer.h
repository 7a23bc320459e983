// The Llama-style decoder's forward pass (spec/runtime.md, "Forward pass"), llama2.c's shape:
// a KV cache, every weight read in its native storage; one token at a time, or a prompt's tokens
// as a batch. Threads split the rows of every matrix and the attention heads among them; neither
// threads nor batches change any reduction's order, so the logits are the same bits either way.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "slm/model_file.h"
#include "slm/thread_pool.h"

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

// Activations and the KV cache of one sequence. Sizes (f32 elements), B = batch():
//   x, xb, xb2: B * dim    hb, hb2: B * hidden_dim    q: B * dim    att: n_heads * context
//   key_cache, value_cache: n_layers * context * kv_dim    logits: vocab
//   rope_cos, rope_sin: B * head_dim / 2    dequantized rows: threads * 4 * max(dim, hidden_dim)
class Transformer {
public:
  // The model must outlive the transformer. context = positions the KV cache holds (<= max_seq_len).
  // threads = 0: every core (ThreadPool); the logits do not depend on the thread count.
  // max_batch: the most tokens prefill() takes at once (1 to 64, the default), which sizes the
  // B-sized buffers: a generation passes its prompt's length, so a short prompt holds no buffers for
  // 64 tokens. The logits do not depend on it either.
  static Result<std::unique_ptr<Transformer>> create(std::shared_ptr<const LoadedModel> model, std::uint32_t context,
                                                     std::uint32_t threads = 0, std::uint32_t max_batch = 64);

  // Runs token at position pos (0 <= pos < context, positions in order from 0) and returns the
  // logits over the vocabulary. Positions must be fed in order: pos writes the KV cache at pos.
  const std::vector<float>& forward(std::uint32_t token, std::uint32_t pos);

  // Runs tokens at positions pos, pos + 1, ... (pos + tokens.size() <= context, in order after the
  // positions already fed) in batches of up to batch() tokens: every weight row is read once per
  // batch and applied to all its tokens. The KV cache and, when `logits` is set, the returned
  // logits of the last token are bit for bit those of forward() token by token. Without `logits`
  // (a prompt whose last token is fed later) the classifier is skipped and the result is stale.
  const std::vector<float>& prefill(std::span<const std::uint32_t> tokens, std::uint32_t pos, bool logits = true);

  std::uint32_t context() const { return context_; }
  std::uint32_t threads() const { return pool_->size(); }
  std::uint32_t batch() const { return batch_; }
  std::uint64_t kv_cache_bytes() const { return (key_cache_.size() + value_cache_.size()) * sizeof(float); }
  // The activations of one token (runtime.md 6; the same figure in every build and at any thread
  // count): x, xb, xb2, q, hb, hb2, att, logits and the RoPE tables.
  std::uint64_t scratch_bytes() const;
  // What batches and threads add to scratch_bytes(): the other batch() - 1 tokens' activations
  // and the rows the threads dequantize for a batch.
  std::uint64_t batch_bytes() const;

private:
  Transformer() = default;
  // One batch: tokens[0..n) at positions pos.., n <= batch_; the last token's logits if asked.
  void run(const std::uint32_t* tokens, std::uint32_t n, std::uint32_t pos, bool logits);
  template <class F>
  void parallel(std::uint64_t work, F&& f);

  std::shared_ptr<const LoadedModel> model_;
  Hyperparameters hp_;
  Weights w_{};
  std::uint32_t context_ = 0, head_dim_ = 0, kv_dim_ = 0, kv_mul_ = 0, batch_ = 1;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<float> x_, xb_, xb2_, hb_, hb2_, q_, att_, logits_, key_cache_, value_cache_;
  std::vector<float> rope_freq_;            // [head_dim / 2]
  std::vector<float> rope_cos_, rope_sin_;  // [batch][head_dim / 2], for the batch's positions
  std::vector<float> dequantized_;          // [threads][kMatmulScratchRows][max(dim, hidden_dim)]
};

}  // namespace slm
