// llama2.c float32 checkpoints (karpathy/llama2.c run.c, the legacy "version 0" layout):
// import into an SLM model description and export back (spec/runtime-tokenizer.md section 5 for the
// tokenizer; spec/runtime.md "llama2.c interop" for the weights).
//
// Layout, little-endian: 7 x i32 config {dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
// seq_len} (a negative vocab_size means an unshared classifier follows), then f32 arrays grouped by
// kind across layers:
//   token_embedding [vocab, dim]   rms_att [L, dim]   wq [L, dim, dim]   wk [L, kv_dim, dim]
//   wv [L, kv_dim, dim]   wo [L, dim, dim]   rms_ffn [L, dim]   w1 [L, hidden, dim]
//   w2 [L, dim, hidden]   w3 [L, hidden, dim]   rms_final [dim]
//   freq_cis_real [seq_len, head_dim/2]   freq_cis_imag [seq_len, head_dim/2]   (ignored by run.c)
//   wcls [vocab, dim]   only when vocab_size < 0
// llama2.c fixes norm_eps = 1e-5 and rope_theta = 10000.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "slm/writer.h"

namespace slm {

// `matrix_dtype` re-encodes every 2-D tensor with the reference quantizers (norms stay f32).
// Any malformed input (sizes that do not add up to the file, bad dims) is E_CONVERT_INPUT.
Result<ModelDescription> import_llama2c(std::span<const std::uint8_t> checkpoint,
                                        std::span<const std::uint8_t> tokenizer_bin, DType matrix_dtype = DType::F32);

struct Llama2cFiles {
  std::vector<std::uint8_t> checkpoint, tokenizer;
};

// Only f32 models with a BPE tokenizer (BOS 1, EOS 2, dummy prefix, a normal piece " " for llama2.c's
// dummy-prefix lookup), norm_eps 1e-5 and rope_theta 10000 can be expressed; anything else is
// E_CONVERT_INPUT with a message saying which.
Result<Llama2cFiles> export_llama2c(const ModelDescription& model);

}  // namespace slm
