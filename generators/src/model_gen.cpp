#include "slmgen/model_gen.h"
#include "slmgen/merge_vocabulary.h"

#include <cmath>

#include "slm/architecture.h"
#include "slm/quant.h"
#include "slmgen/prng.h"

namespace slmgen {

using slm::DType;
using slm::Hyperparameters;

std::optional<ModelOptions> preset(const std::string& name) {
  ModelOptions o;
  if (name == "tiny") {
    o.hparams = {259, 32, 64, 1, 2, 1, 32, 1e-5f, 10000.0f};
    o.tokenizer = slm::TokenizerKind::BYTE;
    o.embedding_dtype = DType::Q8_0;
    o.attention_dtype = DType::Q4_0;
    o.ffn_dtype = DType::F32;
    return o;
  }
  if (name == "small") {
    o.hparams = {512, 64, 192, 2, 4, 2, 128, 1e-5f, 10000.0f};
    o.tokenizer = slm::TokenizerKind::BPE;
    return o;
  }
  if (name == "stories15m") {
    o.hparams = {32000, 288, 768, 6, 6, 6, 256, 1e-5f, 10000.0f};
    o.tokenizer = slm::TokenizerKind::BPE;
    return o;
  }
  if (name == "large") {  // ~363 MB in f32: the validate benchmark's input
    o.hparams = {32000, 1024, 2816, 2, 8, 8, 512, 1e-5f, 10000.0f};
    o.tokenizer = slm::TokenizerKind::BPE;
    o.untied_output = true;
    return o;
  }
  return std::nullopt;
}

std::vector<std::string> preset_names() { return {"tiny", "small", "stories15m", "large"}; }

slm::Tokenizer byte_tokenizer() {
  slm::Tokenizer t;
  t.kind = slm::TokenizerKind::BYTE;
  t.n_pieces = slm::kByteVocabSize;
  return t;
}

slm::Tokenizer synthetic_bpe_tokenizer(std::uint32_t vocab_size) {
  slm::Tokenizer t;
  t.kind = slm::TokenizerKind::BPE;
  t.flags = slm::kTokFlagDummyPrefix;
  t.pieces.push_back({"<unk>", 0.0f});
  t.pieces.push_back({"<s>", 0.0f});
  t.pieces.push_back({"</s>", 0.0f});
  static const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) t.pieces.push_back({std::string{'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'}, 0.0f});
  // The alphabet's single characters first, as in any BPE vocabulary (merges start from them, and
  // llama2.c's encoder looks up " " for its dummy prefix: id 259 here), then the merges: every string
  // of length 2, then 3, ... over the alphabet in lexicographic order. Scores fall by rank as
  // SentencePiece's do (a single character is never a merge result, so its score is never compared).
  static const std::string alphabet = " etaoinshrdlucmfwypvbgkjqxz";
  const std::uint64_t radix = alphabet.size();
  for (std::size_t length = 1; t.pieces.size() < vocab_size; ++length) {
    std::uint64_t count = 1;
    for (std::size_t c = 0; c < length; ++c) count *= radix;
    for (std::uint64_t n = 0; n < count && t.pieces.size() < vocab_size; ++n) {
      std::string piece(length, ' ');
      for (std::size_t c = 0, k = n; c < length; ++c, k /= radix) piece[length - 1 - c] = alphabet[k % radix];
      t.pieces.push_back({piece, -static_cast<float>(t.pieces.size() - slm::kByteVocabSize)});
    }
  }
  t.n_pieces = static_cast<std::uint32_t>(t.pieces.size());
  return t;
}

slm::DType tensor_dtype(const ModelOptions& o, const slm::RequiredTensor& req) {
  if (req.norm) return DType::F32;
  if (req.name == "tok_embeddings.weight") return o.embedding_dtype;
  if (req.name == "output.weight") return o.output_dtype;
  if (req.name.find(".attention.") != std::string::npos) return o.attention_dtype;
  return o.ffn_dtype;
}

slm::ModelDescription generate_model(const ModelOptions& o) {
  slm::ModelDescription model;
  model.hparams = o.hparams;
  model.untied_output = o.untied_output;
  model.tokenizer = o.tokenizer == slm::TokenizerKind::BYTE ? byte_tokenizer()
                    : o.merge_vocabulary                      ? merge_vocabulary()
                                                              : synthetic_bpe_tokenizer(o.hparams.vocab_size);
  SplitMix64 rng(o.seed);
  for (const auto& req : slm::required_tensors(o.hparams, o.untied_output)) {
    std::uint64_t elements = 1;
    for (auto d : req.shape) elements *= d;
    const DType dtype = tensor_dtype(o, req);
    // Weights ~ U[-1, 1) / sqrt(inner dim); norm weights ~ 1 + U[-0.1, 0.1).
    const float scale = req.norm ? 0.1f : 1.0f / static_cast<float>(std::sqrt(static_cast<double>(req.shape.back())));
    std::vector<float> values(static_cast<std::size_t>(elements));
    for (auto& v : values) v = (req.norm ? 1.0f : 0.0f) + rng.symmetric() * scale;
    model.tensors.push_back({req.name, dtype, req.shape, slm::encode_tensor(dtype, values)});
  }
  return model;
}

}  // namespace slmgen
