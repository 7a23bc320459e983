// llama2.c checkpoints: slm -> llama2.c -> slm is byte-identical; malformed checkpoints are
// E_CONVERT_INPUT; the real Llama 2 vocabulary survives the trip.
#include <gtest/gtest.h>

#include <fstream>

#include "slm/llama2c.h"
#include "slm/llama2c_checkpoint.h"
#include "slm/model_file.h"
#include "slmgen/recipe.h"
#include "shared_data.h"

namespace {

slm::ModelDescription generated(bool untied, std::uint32_t vocab = 300) {
  slmgen::ModelRecipe r;
  r.preset = "small";
  r.dtype = "f32";
  r.untied = untied;
  r.vocab = vocab;
  auto o = slmgen::resolve_recipe(r);
  EXPECT_TRUE(o.ok()) << o.status().message;
  return slmgen::generate_model(o.value());
}

TEST(Llama2cCheckpoint, SlmToLlama2cToSlmIsByteIdentical) {
  for (bool untied : {false, true}) {
    const auto bytes = slm::write_model(generated(untied));
    const auto model = slm::read_model(bytes);
    ASSERT_TRUE(model.ok());
    const auto files = slm::export_llama2c(model.value());
    ASSERT_TRUE(files.ok()) << files.status().message;
    const auto back = slm::import_llama2c(files->checkpoint, files->tokenizer);
    ASSERT_TRUE(back.ok()) << back.status().message;
    EXPECT_EQ(slm::write_model(back.value()), bytes) << "untied " << untied;
  }
}

TEST(Llama2cCheckpoint, QuantizedImportValidates) {
  const auto files = slm::export_llama2c(generated(false));
  ASSERT_TRUE(files.ok());
  for (auto dtype : {slm::DType::Q8_0, slm::DType::Q4_0}) {
    const auto m = slm::import_llama2c(files->checkpoint, files->tokenizer, dtype);
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(slm::validate_model(slm::write_model(m.value())).ok());
  }
}

TEST(Llama2cCheckpoint, MalformedCheckpointsAreConvertErrors) {
  const auto files = slm::export_llama2c(generated(false));
  ASSERT_TRUE(files.ok());
  auto code_of = [&](std::vector<std::uint8_t> checkpoint) {
    return slm::import_llama2c(checkpoint, files->tokenizer).status().code;
  };
  auto truncated = files->checkpoint;
  truncated.pop_back();
  EXPECT_EQ(code_of(truncated), slm::ErrorCode::E_CONVERT_INPUT);
  auto longer = files->checkpoint;
  longer.push_back(0);
  EXPECT_EQ(code_of(longer), slm::ErrorCode::E_CONVERT_INPUT);
  EXPECT_EQ(code_of({1, 2, 3}), slm::ErrorCode::E_CONVERT_INPUT);
  auto bomb = files->checkpoint;  // dim 2^30: would be terabytes, must be refused without allocating
  bomb[3] = 0x40;
  EXPECT_EQ(code_of(bomb), slm::ErrorCode::E_CONVERT_INPUT);
  auto zero_heads = files->checkpoint;
  std::fill(zero_heads.begin() + 12, zero_heads.begin() + 16, std::uint8_t{0});
  EXPECT_EQ(code_of(zero_heads), slm::ErrorCode::E_CONVERT_INPUT);
}

TEST(Llama2cCheckpoint, ExportRefusesWhatLlama2cCannotExpress) {
  auto quantized = generated(false);
  quantized.tensors[2].dtype = slm::DType::Q8_0;
  EXPECT_EQ(slm::export_llama2c(quantized).status().code, slm::ErrorCode::E_CONVERT_INPUT);
  auto theta = generated(false);
  theta.hparams.rope_theta = 500000.0f;
  EXPECT_EQ(slm::export_llama2c(theta).status().code, slm::ErrorCode::E_CONVERT_INPUT);
}

// llama2.c's encode looks " " up for its dummy prefix; without that normal piece it would use id -1.
TEST(Llama2cCheckpoint, ExportRefusesAVocabularyWithoutTheSpacePiece) {
  auto model = generated(false);
  ASSERT_EQ(model.tokenizer.pieces[259].bytes, " ");  // the synthetic vocabulary has it (spec/generators.md)
  ASSERT_TRUE(slm::export_llama2c(model).ok());
  model.tokenizer.pieces[259].bytes = "_";  // still a valid vocabulary: "_" is not in the alphabet
  ASSERT_TRUE(slm::validate_model(slm::write_model(model)).ok());
  const auto refused = slm::export_llama2c(model);
  EXPECT_EQ(refused.status().code, slm::ErrorCode::E_CONVERT_INPUT);
  EXPECT_NE(refused.status().message.find("\" \""), std::string::npos) << refused.status().message;
  auto special = model;  // a special piece spelled " " does not count: SLM's lookup never returns it
  special.tokenizer.pieces[0].bytes = " ";
  EXPECT_EQ(slm::export_llama2c(special).status().code, slm::ErrorCode::E_CONVERT_INPUT);
  auto bare = generated(false, 259);  // byte pieces only
  EXPECT_EQ(slm::export_llama2c(bare).status().code, slm::ErrorCode::E_CONVERT_INPUT);
}

TEST(Llama2cCheckpoint, RealLlama2VocabularyRoundTrips) {
  const std::string path = slmtest::shared_data_file("llama2c/tokenizer.bin");
  SLM_REQUIRE_SHARED_DATA(path);  // skipped where absent, a failure under CI
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> tokenizer_bin((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto model = generated(false, 32000);
  auto tokenizer = slm::import_llama2c_tokenizer(tokenizer_bin, 32000);
  ASSERT_TRUE(tokenizer.ok());
  model.tokenizer = tokenizer.value();
  const auto bytes = slm::write_model(model);
  ASSERT_TRUE(slm::validate_model(bytes).ok());
  const auto files = slm::export_llama2c(slm::read_model(bytes).value());
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->tokenizer, tokenizer_bin);
  EXPECT_EQ(slm::write_model(slm::import_llama2c(files->checkpoint, files->tokenizer).value()), bytes);
}

}  // namespace
