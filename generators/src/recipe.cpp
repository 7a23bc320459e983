#include "slmgen/recipe.h"

#include "slm/architecture.h"
#include "slm/decode.h"
#include "slm/validate.h"
#include "slmgen/merge_vocabulary.h"

namespace slmgen {
namespace {

slm::Status bad_argument(const std::string& message) {
  return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, message);
}

// Sum of the tensors' encoded sizes, each rounded up to the 64-byte alignment, saturating at 2^64-1.
std::uint64_t planned_data_length(const ModelOptions& o, slm::Status* element_limit) {
  std::uint64_t total = 0;
  for (const auto& req : slm::required_tensors(o.hparams, o.untied_output)) {
    std::uint64_t elements = 1;
    for (auto d : req.shape) elements *= d;  // each dim <= 2^20 after check 10: no overflow in rank <= 2
    if (elements > slm::limits::kMaxTensorElements) {
      if (element_limit && element_limit->ok()) {
        *element_limit = slm::make_error(slm::ErrorCode::E_LIMIT_TENSOR_SIZE, slm::kNoOffset,
                                         req.name + " would have " + std::to_string(elements) + " elements");
      }
      return UINT64_MAX;
    }
    const std::uint64_t bytes = (slm::dtype_bytes(tensor_dtype(o, req), elements) + 63) / 64 * 64;
    if (bytes > UINT64_MAX - total) return UINT64_MAX;
    total += bytes;
  }
  return total;
}

}  // namespace

std::uint64_t planned_file_length(const ModelOptions& o) {
  const std::uint64_t data = planned_data_length(o, nullptr);
  // header, tokenizer (at most 16 MiB by SLM-LIM-004), directory: far below the data's scale
  const std::uint64_t tokenizer = o.tokenizer == slm::TokenizerKind::BYTE ? 4096 : 64ull * o.hparams.vocab_size;
  const std::uint64_t prefix = 256 + tokenizer + 128 * slm::required_tensor_count(o.hparams.n_layers, o.untied_output);
  return data > UINT64_MAX - prefix ? UINT64_MAX : data + prefix;
}

slm::Result<ModelOptions> resolve_recipe(const ModelRecipe& r) {
  const auto base = preset(r.preset);
  if (!base) return bad_argument("unknown preset '" + r.preset + "'");
  ModelOptions o = *base;
  o.seed = r.seed;
  o.untied_output = o.untied_output || r.untied;
  if (!r.tokenizer.empty()) {
    if (r.tokenizer != "byte" && r.tokenizer != "bpe" && r.tokenizer != "bpe-merges") {
      return bad_argument("tokenizer must be byte, bpe or bpe-merges");
    }
    o.tokenizer = r.tokenizer == "byte" ? slm::TokenizerKind::BYTE : slm::TokenizerKind::BPE;
    o.merge_vocabulary = r.tokenizer == "bpe-merges";
  }
  if (!r.dtype.empty()) {
    slm::DType d;
    if (!slm::parse_dtype(r.dtype, d)) return bad_argument("dtype must be f32, q8_0 or q4_0");
    o.embedding_dtype = o.attention_dtype = o.ffn_dtype = o.output_dtype = d;
  }
  auto& hp = o.hparams;
  if (r.layers) hp.n_layers = *r.layers;
  if (r.dim) hp.dim = *r.dim;
  if (r.hidden_dim) hp.hidden_dim = *r.hidden_dim;
  if (r.heads) hp.n_heads = *r.heads;
  if (r.kv_heads) hp.n_kv_heads = *r.kv_heads;
  if (o.tokenizer == slm::TokenizerKind::BYTE) {
    if (r.vocab && *r.vocab != slm::kByteVocabSize) return bad_argument("a byte tokenizer has exactly 259 pieces");
    hp.vocab_size = slm::kByteVocabSize;
  } else if (o.merge_vocabulary) {
    if (r.vocab && *r.vocab != kMergeVocabularySize) return bad_argument("the merge vocabulary has exactly 4096 pieces");
    hp.vocab_size = kMergeVocabularySize;
  } else if (r.vocab) {
    hp.vocab_size = *r.vocab;
    if (hp.vocab_size < slm::kByteVocabSize) return bad_argument("a BPE vocabulary has at least 259 pieces");
  } else if (hp.vocab_size <= slm::kByteVocabSize) {
    hp.vocab_size = 300;
  }
  // The validator's own checks; their offsets name header fields of a file that does not exist yet.
  for (auto s : {slm::check_hparam_limits(hp), slm::validate_hparams(hp)}) {
    if (!s.ok()) return slm::make_error(s.code, slm::kNoOffset, s.message);
  }
  const bool quantized = o.embedding_dtype != slm::DType::F32 || o.attention_dtype != slm::DType::F32 ||
                         o.ffn_dtype != slm::DType::F32 || o.output_dtype != slm::DType::F32;
  if (quantized && (hp.dim % slm::kBlockSize != 0 || hp.hidden_dim % slm::kBlockSize != 0)) {
    return bad_argument("quantized matrices need dim and hidden_dim to be multiples of 32");
  }
  slm::Status element_limit;
  const std::uint64_t data = planned_data_length(o, &element_limit);
  if (!element_limit.ok()) return element_limit;
  const std::uint64_t length = planned_file_length(o);
  if (data == UINT64_MAX || length > slm::limits::kMaxFileLength) {
    return slm::make_error(slm::ErrorCode::E_LIMIT_FILE_SIZE, slm::kNoOffset,
                           "the model would exceed the format's 2^48-byte file limit");
  }
  if (length > kGeneratorBudgetBytes) {
    return slm::make_error(slm::ErrorCode::E_LIMIT_TOOL_MEMORY, slm::kNoOffset,
                           "the model would be " + std::to_string(length) + " bytes; generators build at most " +
                               std::to_string(kGeneratorBudgetBytes) + " (4 GiB)");
  }
  return o;
}

}  // namespace slmgen
