// Programmed models: the greedy continuation is the programmed text in every dtype and tokenizer,
// each chosen token wins by the required margin, and every layer's attention and FFN are needed
// (zeroing any one of their matrices loses some continuation).
#include <gtest/gtest.h>

#include "slm/generate.h"
#include "slm/quant.h"
#include "slm/writer.h"
#include "slmgen/fix_adapter.h"
#include "slmconf/programs.h"
#include "slmgen/program.h"

namespace {

// conformance/programs/hello.json in another dtype or tokenizer.
slmgen::ModelProgram hello_program(std::string dtype = "f32", std::string tokenizer = "byte") {
  slmgen::ModelProgram p = slmconf::builtin_program("hello").value();
  p.dtype = std::move(dtype);
  p.tokenizer = std::move(tokenizer);
  return p;
}

std::vector<std::uint8_t> build(const slmgen::ModelProgram& p) {
  const auto model = slmgen::build_programmed_model(p);
  EXPECT_TRUE(model.ok()) << model.status().message;
  return model.ok() ? slm::write_model(model.value()) : std::vector<std::uint8_t>{};
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
  const auto checked = slmgen::check_programmed_model(p, file);
  ASSERT_TRUE(checked.ok()) << checked.status().message;
  const auto& outcomes = checked.value();
  ASSERT_EQ(outcomes.size(), p.entries.size());
  for (const auto& o : outcomes) EXPECT_GE(o.min_margin, p.min_margin);
  EXPECT_TRUE(continues_as_programmed(p, file));
}

INSTANTIATE_TEST_SUITE_P(DtypesAndTokenizers, ProgrammedModel,
                         testing::Values(std::pair{"f32", "byte"}, std::pair{"q8_0", "byte"}, std::pair{"q4_0", "byte"},
                                         std::pair{"f32", "bpe"}, std::pair{"q8_0", "bpe"}, std::pair{"q4_0", "bpe"}),
                         [](const auto& p) { return std::string(p.param.first) + "_" + p.param.second; });

TEST(ProgrammedModel, SameProgramSameBytes) { EXPECT_EQ(build(hello_program()), build(hello_program())); }

class EveryLayerIsNeeded : public ::testing::TestWithParam<const char*> {};

// Zeroing any one attention or FFN matrix of any layer loses some continuation, for the hello
// program (3 layers) and for the 100 additions (2 layers, the program's own vocabulary).
TEST_P(EveryLayerIsNeeded, ZeroingAnyMatrixLosesAContinuation) {
  auto p = slmconf::builtin_program(GetParam()).value();
  if (std::string(GetParam()) == "hello") p.layers = 3;
  const auto built = slmgen::build_programmed_model(p);
  ASSERT_TRUE(built.ok()) << built.status().message;
  const slm::ModelDescription& model = built.value();
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

INSTANTIATE_TEST_SUITE_P(Programs, EveryLayerIsNeeded, ::testing::Values("hello", "additions"));

TEST(ProgrammedModel, TheAdditionsAnswerInF32AndQ8_0AndTheBuggySiblingMissesTheSevens) {
  for (const char* dtype : {"f32", "q8_0"}) {
    auto p = slmconf::builtin_program("additions").value();
    p.dtype = dtype;
    const auto model = slmgen::build_programmed_model(p);  // refuses any margin below 4
    ASSERT_TRUE(model.ok()) << dtype << ": " << model.status().message;
    EXPECT_TRUE(continues_as_programmed(p, slm::write_model(model.value()))) << dtype;
  }
  const auto buggy = slmconf::builtin_program("additions-buggy").value();
  const auto right = slmconf::builtin_program("additions").value();
  std::size_t differ = 0;
  for (std::size_t i = 0; i < right.entries.size(); ++i) {
    if (buggy.entries[i].continuation != right.entries[i].continuation) {
      ++differ;
      EXPECT_EQ(right.entries[i].prompt.substr(0, 2), "7+");
    }
  }
  EXPECT_EQ(differ, 10u);
}

TEST(ProgrammedModel, AmbiguousContextsAreExplained) {
  slmgen::ModelProgram p;
  p.entries = {{"ab", "c"}, {"xab", "d"}};
  const auto model = slmgen::build_programmed_model(p);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code, slm::ErrorCode::E_PROGRAM_INVALID);
  EXPECT_NE(model.status().message.find("ambiguous"), std::string::npos) << model.status().message;
}

TEST(ProgrammedModel, TooManyDistinctTokensForTheDimIsAnError) {
  slmgen::ModelProgram p;
  p.entries = {{"a", "bcdefghijklmnopqrstuvwxyz0123456789"}};
  const auto too_small = slmgen::build_programmed_model(p);
  ASSERT_FALSE(too_small.ok());
  EXPECT_EQ(too_small.status().code, slm::ErrorCode::E_PROGRAM_INVALID);
  EXPECT_NE(too_small.status().message.find("distinct tokens"), std::string::npos) << too_small.status().message;
  p.dim = 256;
  p.hidden_dim = 512;
  const auto model = slmgen::build_programmed_model(p);
  ASSERT_TRUE(model.ok()) << model.status().message;
  EXPECT_TRUE(continues_as_programmed(p, slm::write_model(model.value())));
}

TEST(ProgrammedModel, AProgramWithoutEntriesIsProgramInvalid) {
  const auto model = slmgen::build_programmed_model(slmgen::ModelProgram{});
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code, slm::ErrorCode::E_PROGRAM_INVALID);
  EXPECT_EQ(model.status().message, "the program has no entries");
}

TEST(ProgrammedModel, CheckingAModelAgainstAnotherProgramExplainsTheEntry) {
  auto other = hello_program();
  other.entries[2].continuation = "5";
  const auto checked = slmgen::check_programmed_model(other, build(hello_program()));
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code, slm::ErrorCode::E_PROGRAM_INVALID);
  EXPECT_NE(checked.status().message.find("entry 2: the model continues '2+2=' with '4'"), std::string::npos)
      << checked.status().message;
}

TEST(FixAdapter, ErrorsNameTheirCause) {
  const auto parent = build(hello_program());
  const auto same = slmgen::build_programmed_model(hello_program());
  ASSERT_TRUE(same.ok());
  const auto nothing = slmgen::make_fix_adapter(parent, same.value(), slm::AdapterKind::SPARSE);
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.status().code, slm::ErrorCode::E_PROGRAM_INVALID);
  EXPECT_EQ(nothing.status().message, "the target equals the parent: nothing to fix");
  auto broken = parent;
  broken[0] ^= 1;  // the parent's own code, not the program's
  const auto bad_parent = slmgen::make_fix_adapter(broken, same.value(), slm::AdapterKind::SPARSE);
  ASSERT_FALSE(bad_parent.ok());
  EXPECT_EQ(bad_parent.status().code, slm::ErrorCode::E_HDR_MAGIC);
  EXPECT_EQ(bad_parent.status().message.rfind("parent: ", 0), 0u) << bad_parent.status().message;
}

}  // namespace
