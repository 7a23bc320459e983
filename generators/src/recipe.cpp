#include "slmgen/recipe.h"

#include "slm/validate.h"

namespace slmgen {

bool resolve_recipe(const ModelRecipe& r, ModelOptions& o, std::string& error) {
  const auto base = preset(r.preset);
  if (!base) {
    error = "unknown preset '" + r.preset + "'";
    return false;
  }
  o = *base;
  o.seed = r.seed;
  o.untied_output = o.untied_output || r.untied;
  if (!r.tokenizer.empty()) {
    if (r.tokenizer != "byte" && r.tokenizer != "bpe") {
      error = "tokenizer must be byte or bpe";
      return false;
    }
    o.tokenizer = r.tokenizer == "byte" ? slm::TokenizerKind::BYTE : slm::TokenizerKind::BPE;
  }
  if (!r.dtype.empty()) {
    slm::DType d;
    if (!slm::parse_dtype(r.dtype, d)) {
      error = "dtype must be f32, q8_0 or q4_0";
      return false;
    }
    o.embedding_dtype = o.attention_dtype = o.ffn_dtype = o.output_dtype = d;
  }
  auto& hp = o.hparams;
  if (r.layers) hp.n_layers = r.layers;
  if (r.dim) hp.dim = r.dim;
  if (r.hidden_dim) hp.hidden_dim = r.hidden_dim;
  if (r.heads) hp.n_heads = r.heads;
  if (r.kv_heads) hp.n_kv_heads = r.kv_heads;
  if (o.tokenizer == slm::TokenizerKind::BYTE) hp.vocab_size = slm::kByteVocabSize;
  else if (r.vocab) hp.vocab_size = r.vocab;
  else if (hp.vocab_size <= slm::kByteVocabSize) hp.vocab_size = 300;
  if (auto s = slm::validate_hparams(hp); !s.ok()) {
    error = s.message;
    return false;
  }
  const bool quantized = o.embedding_dtype != slm::DType::F32 || o.attention_dtype != slm::DType::F32 ||
                         o.ffn_dtype != slm::DType::F32 || o.output_dtype != slm::DType::F32;
  if (quantized && (hp.dim % slm::kBlockSize != 0 || hp.hidden_dim % slm::kBlockSize != 0)) {
    error = "quantized matrices need dim and hidden_dim to be multiples of 32";
    return false;
  }
  return true;
}

}  // namespace slmgen
