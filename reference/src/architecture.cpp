#include "slm/architecture.h"

namespace slm {

std::uint64_t required_tensor_count(std::uint32_t n_layers, bool untied_output) {
  return 2 + 9ull * n_layers + (untied_output ? 1 : 0);
}

std::vector<RequiredTensor> required_tensors(const Hyperparameters& hp, bool untied_output) {
  const std::uint64_t dim = hp.dim, hidden = hp.hidden_dim, vocab = hp.vocab_size;
  const std::uint64_t kv_dim = dim / hp.n_heads * hp.n_kv_heads;
  std::vector<RequiredTensor> out;
  out.reserve(static_cast<std::size_t>(required_tensor_count(hp.n_layers, untied_output)));
  out.push_back({"tok_embeddings.weight", {vocab, dim}, false});
  for (std::uint32_t l = 0; l < hp.n_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    out.push_back({p + "attention_norm.weight", {dim}, true});
    out.push_back({p + "attention.wq.weight", {dim, dim}, false});
    out.push_back({p + "attention.wk.weight", {kv_dim, dim}, false});
    out.push_back({p + "attention.wv.weight", {kv_dim, dim}, false});
    out.push_back({p + "attention.wo.weight", {dim, dim}, false});
    out.push_back({p + "ffn_norm.weight", {dim}, true});
    out.push_back({p + "feed_forward.w1.weight", {hidden, dim}, false});
    out.push_back({p + "feed_forward.w2.weight", {dim, hidden}, false});
    out.push_back({p + "feed_forward.w3.weight", {hidden, dim}, false});
  }
  out.push_back({"norm.weight", {dim}, true});
  if (untied_output) out.push_back({"output.weight", {vocab, dim}, false});
  return out;
}

}  // namespace slm
