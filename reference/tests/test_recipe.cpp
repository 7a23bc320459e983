// Generator recipes (spec/tools.md section 5): every limit is checked before anything is allocated,
// in the stated order, with the validator's codes; zero overrides are refused, never defaulted.
#include <gtest/gtest.h>

#include "slm/format.h"
#include "slm/writer.h"
#include "slmgen/recipe.h"

namespace {

std::string code_of(const slm::Result<slmgen::ModelOptions>& r) { return std::string(slm::error_info(r.status().code).name); }

slmgen::ModelRecipe tiny() {
  slmgen::ModelRecipe r;
  r.preset = "tiny";
  return r;
}

TEST(Recipe, RefusesUnknownNames) {
  auto r = tiny();
  r.preset = "nosuch";
  EXPECT_EQ(code_of(slmgen::resolve_recipe(r)), "E_ARG_VALUE");
  r = tiny();
  r.dtype = "f16";
  EXPECT_EQ(code_of(slmgen::resolve_recipe(r)), "E_ARG_VALUE");
  r = tiny();
  r.tokenizer = "wordpiece";
  EXPECT_EQ(code_of(slmgen::resolve_recipe(r)), "E_ARG_VALUE");
}

TEST(Recipe, AppliesTheFormatLimitsInCheckOrder) {
  auto r = tiny();
  r.layers = 5000;
  auto got = slmgen::resolve_recipe(r);
  EXPECT_EQ(code_of(got), "E_LIMIT_HPARAM");
  EXPECT_NE(got.status().message.find("n_layers"), std::string::npos);
  EXPECT_FALSE(got.status().has_offset()) << "no file yet: the message names the field";
  r.dim = 100000;  // dim is checked before n_layers (SLM-LIM-002's order)
  got = slmgen::resolve_recipe(r);
  EXPECT_NE(got.status().message.find("dim"), std::string::npos);
  r = tiny();
  r.hidden_dim = 4000000000u;
  EXPECT_EQ(code_of(slmgen::resolve_recipe(r)), "E_LIMIT_HPARAM");
}

TEST(Recipe, RefusesZeroAndInconsistentOverrides) {
  for (auto field : {&slmgen::ModelRecipe::layers, &slmgen::ModelRecipe::dim, &slmgen::ModelRecipe::hidden_dim,
                     &slmgen::ModelRecipe::heads, &slmgen::ModelRecipe::kv_heads}) {
    auto r = tiny();
    r.*field = 0u;
    EXPECT_EQ(code_of(slmgen::resolve_recipe(r)), "E_HPARAM_INVALID");
  }
  auto r = tiny();
  r.heads = 3;  // does not divide dim 64
  EXPECT_EQ(code_of(slmgen::resolve_recipe(r)), "E_HPARAM_INVALID");
  r = tiny();
  r.dtype = "q8_0";
  r.dim = 48;
  r.heads = 4;
  r.kv_heads = 4;
  EXPECT_EQ(code_of(slmgen::resolve_recipe(r)), "E_ARG_VALUE");
  r = tiny();
  r.vocab = 300;  // a byte tokenizer has 259 pieces
  EXPECT_EQ(code_of(slmgen::resolve_recipe(r)), "E_ARG_VALUE");
}

TEST(Recipe, RefusesWhatIsBeyondTheBudgetBeforeAllocating) {
  slmgen::ModelRecipe r;
  r.preset = "large";
  r.dim = 65536;
  r.hidden_dim = 262144;
  r.layers = 1024;
  const auto got = slmgen::resolve_recipe(r);  // 1024 x 3 FFN matrices of 2^34 f32: 3 x 2^48 bytes
  EXPECT_EQ(code_of(got), "E_LIMIT_FILE_SIZE") << got.status().message;
  r = slmgen::ModelRecipe{};
  r.preset = "large";
  r.layers = 100;  // about 5.4 GB: 100 layers of 51 MB beside 262 MB of embeddings
  EXPECT_EQ(code_of(slmgen::resolve_recipe(r)), "E_LIMIT_TOOL_MEMORY");
}

TEST(Recipe, PlannedLengthBoundsTheWrittenFile) {
  for (const auto& name : slmgen::preset_names()) {
    if (name == "large" || name == "stories15m") continue;  // too big for a unit test; same arithmetic
    for (const char* tokenizer : {"byte", "bpe"}) {
      slmgen::ModelRecipe r;
      r.preset = name;
      r.tokenizer = tokenizer;
      auto options = slmgen::resolve_recipe(r);
      ASSERT_TRUE(options.ok()) << name << ": " << options.status().message;
      const auto written = slm::write_model(slmgen::generate_model(options.value())).size();
      const auto planned = slmgen::planned_file_length(options.value());
      EXPECT_GE(planned, written) << name << " " << tokenizer;
      EXPECT_LE(planned, written + written / 100 + 65536) << name << " " << tokenizer;
    }
  }
}

}  // namespace
