// Programmed models: the greedy continuation is the programmed text in every dtype and tokenizer,
// each chosen token wins by the required margin, and every layer's attention and FFN are needed
// (zeroing any one of their matrices loses some continuation).
#include <gtest/gtest.h>

#include "slm/generate.h"
#include "slm/quant.h"
#include "slm/writer.h"
#include "slmgen/program.h"

namespace {

slmgen::ModelProgram hello_program(std::string dtype = "f32", std::string tokenizer = "byte") {
  slmgen::ModelProgram p;
  p.entries = {{"Hello", ", world!"}, {"Once upon", " a time."}, {"2+2=", "4"}};
  p.dtype = std::move(dtype);
  p.tokenizer = std::move(tokenizer);
  return p;
}

std::vector<std::uint8_t> build(const slmgen::ModelProgram& p) {
  slm::ModelDescription model;
  std::string error;
  EXPECT_TRUE(slmgen::build_programmed_model(p, model, error)) << error;
  return slm::write_model(model);
}

// True when every entry's greedy continuation is the programmed one.
bool continues_as_programmed(const slmgen::ModelProgram& p, std::vector<std::uint8_t> file) {
  auto model = slm::load_model(std::move(file));
  if (!model.ok()) return false;
  for (const auto& e : p.entries) {
    slm::GenerateRequest request;
    request.prompt = e.prompt;
    request.max_tokens = 64;
    auto run = slm::generate(model.value(), request);
    if (!run.ok() || run.value().text != e.continuation || run.value().stop_reason != "eos") return false;
  }
  return true;
}

class ProgrammedModel : public testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(ProgrammedModel, ContinuesEveryPromptWithItsTextByTheRequiredMargin) {
  const auto p = hello_program(GetParam().first, GetParam().second);
  const auto file = build(p);
  std::vector<slmgen::ProgramOutcome> outcomes;
  std::string error;
  ASSERT_TRUE(slmgen::check_programmed_model(p, file, outcomes, error)) << error;
  ASSERT_EQ(outcomes.size(), p.entries.size());
  for (const auto& o : outcomes) EXPECT_GE(o.min_margin, p.min_margin);
  EXPECT_TRUE(continues_as_programmed(p, file));
}

INSTANTIATE_TEST_SUITE_P(DtypesAndTokenizers, ProgrammedModel,
                         testing::Values(std::pair{"f32", "byte"}, std::pair{"q8_0", "byte"}, std::pair{"q4_0", "byte"},
                                         std::pair{"f32", "bpe"}, std::pair{"q8_0", "bpe"}, std::pair{"q4_0", "bpe"}),
                         [](const auto& p) { return std::string(p.param.first) + "_" + p.param.second; });

TEST(ProgrammedModel, SameProgramSameBytes) { EXPECT_EQ(build(hello_program()), build(hello_program())); }

TEST(ProgrammedModel, EveryLayersAttentionAndFfnAreNeeded) {
  auto p = hello_program();
  p.layers = 3;
  slm::ModelDescription model;
  std::string error;
  ASSERT_TRUE(slmgen::build_programmed_model(p, model, error)) << error;
  ASSERT_TRUE(continues_as_programmed(p, slm::write_model(model)));
  for (std::uint32_t l = 0; l < p.layers; ++l) {
    for (const char* part : {"attention.wq", "attention.wk", "attention.wv", "attention.wo", "feed_forward.w1",
                             "feed_forward.w2", "feed_forward.w3"}) {
      const std::string name = "layers." + std::to_string(l) + "." + part + ".weight";
      slm::ModelDescription ablated = model;
      for (auto& t : ablated.tensors) {
        if (t.name != name) continue;
        std::uint64_t n = 1;
        for (auto d : t.shape) n *= d;
        t.bytes = slm::encode_tensor(t.dtype, std::vector<float>(static_cast<std::size_t>(n), 0.0f));
      }
      EXPECT_FALSE(continues_as_programmed(p, slm::write_model(ablated))) << name << " is not needed";
    }
  }
}

TEST(ProgrammedModel, AmbiguousContextsAreExplained) {
  slmgen::ModelProgram p;
  p.entries = {{"ab", "c"}, {"xab", "d"}};
  slm::ModelDescription model;
  std::string error;
  EXPECT_FALSE(slmgen::build_programmed_model(p, model, error));
  EXPECT_NE(error.find("ambiguous"), std::string::npos) << error;
}

TEST(ProgrammedModel, TooManyDistinctTokensForTheDimIsAnError) {
  slmgen::ModelProgram p;
  p.entries = {{"a", "bcdefghijklmnopqrstuvwxyz0123456789"}};
  slm::ModelDescription model;
  std::string error;
  EXPECT_FALSE(slmgen::build_programmed_model(p, model, error));
  EXPECT_NE(error.find("distinct tokens"), std::string::npos) << error;
  p.dim = 256;
  p.hidden_dim = 512;
  EXPECT_TRUE(slmgen::build_programmed_model(p, model, error)) << error;
  EXPECT_TRUE(continues_as_programmed(p, slm::write_model(model)));
}

}  // namespace
