// A model recipe: a preset plus overrides, as given to `slm gen model` and recorded in conformance
// cases whose (large) input is generated at test time instead of committed.
#pragma once
#include <cstdint>
#include <string>

#include "slmgen/model_gen.h"

namespace slmgen {

struct ModelRecipe {
  std::string preset = "tiny";
  std::uint64_t seed = 1;
  std::string tokenizer;  // "", "byte" or "bpe"
  std::string dtype;      // "", "f32", "q8_0" or "q4_0": every matrix
  bool untied = false;
  std::uint32_t layers = 0, dim = 0, hidden_dim = 0, heads = 0, kv_heads = 0, vocab = 0;  // 0: the preset's
};

// The options a recipe describes, or an error message (unknown preset, inconsistent dims, ...).
bool resolve_recipe(const ModelRecipe& recipe, ModelOptions& out, std::string& error);

}  // namespace slmgen
