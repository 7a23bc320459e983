// Random-weight model packages of any shape, for tests, fixtures, fuzz seeds and benchmarks.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "slm/architecture.h"
#include "slm/writer.h"

namespace slmgen {

struct ModelOptions {
  slm::Hyperparameters hparams;
  bool untied_output = false;
  slm::TokenizerKind tokenizer = slm::TokenizerKind::BYTE;
  bool merge_vocabulary = false;  // BPE: the merge vocabulary (slmgen/merge_vocabulary.h) instead of the synthetic one
  slm::DType embedding_dtype = slm::DType::F32;
  slm::DType attention_dtype = slm::DType::F32;  // wq wk wv wo
  slm::DType ffn_dtype = slm::DType::F32;        // w1 w2 w3
  slm::DType output_dtype = slm::DType::F32;     // untied classifier
  std::uint64_t seed = 1;
};

// Named presets: "tiny" (a few KB to ~100 KB), "small", "stories15m" (llama2.c's 15M shape).
std::optional<ModelOptions> preset(const std::string& name);
std::vector<std::string> preset_names();

// A BPE tokenizer: <unk>, <s>, </s>, the 256 byte pieces, then `vocab_size - 259` generated pieces:
// the 27 single characters of its alphabet (" " first, id 259), then merges (spec/generators.md).
slm::Tokenizer synthetic_bpe_tokenizer(std::uint32_t vocab_size);
slm::Tokenizer byte_tokenizer();

// The dtype a required tensor gets under these options (norms are always f32).
slm::DType tensor_dtype(const ModelOptions& options, const slm::RequiredTensor& tensor);

// Precondition: options passed resolve_recipe's checks (or are a preset's), so sizes are bounded.
slm::ModelDescription generate_model(const ModelOptions& options);

}  // namespace slmgen
