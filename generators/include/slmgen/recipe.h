// A model recipe: a preset plus overrides, as given to `slm gen model` and recorded in conformance
// cases whose (large) input is generated at test time instead of committed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "slm/errors.h"
#include "slmgen/model_gen.h"

namespace slmgen {

struct ModelRecipe {
  std::string preset = "tiny";
  std::uint64_t seed = 1;
  std::string tokenizer;  // "", "byte" or "bpe"
  std::string dtype;      // "", "f32", "q8_0" or "q4_0": every matrix
  bool untied = false;
  // Overrides of the preset's hyperparameters; an absent one keeps the preset's, a given one is used
  // as it is (zero included, which is then refused).
  std::optional<std::uint32_t> layers, dim, hidden_dim, heads, kv_heads, vocab;
};

// The largest model file a generator builds (spec/tools.md, SLM-TOOL-007): generators hold the
// model in memory two to three times over, and the budget keeps that within a small machine.
inline constexpr std::uint64_t kGeneratorBudgetBytes = 4ull << 30;

// The options a recipe describes. Every check runs before anything is allocated, in this order:
// names (preset, tokenizer, dtype: E_ARG_VALUE), the format's hyperparameter limits (check 10,
// E_LIMIT_HPARAM), consistency (SLM-HPA-001, E_HPARAM_INVALID), quantized row lengths (E_ARG_VALUE),
// each tensor's element count (E_LIMIT_TENSOR_SIZE), then the file's size against the format limit
// (E_LIMIT_FILE_SIZE) and the generator budget (E_LIMIT_TOOL_MEMORY).
[[nodiscard]] slm::Result<ModelOptions> resolve_recipe(const ModelRecipe& recipe);

// The file length the options give, computed from shapes and dtypes without building anything.
std::uint64_t planned_file_length(const ModelOptions& options);

}  // namespace slmgen
