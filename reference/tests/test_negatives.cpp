// Every one-fault negative is rejected with exactly its code, through both byte sources, and every
// error code of errors.def is produced by some negative or by a dedicated test below.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "slm/model_file.h"
#include "slm/validate.h"
#include "slmgen/adapter_gen.h"
#include "slmgen/negatives.h"
#include "test_helpers.h"

namespace {

TEST(Negatives, BaseFilesAreValid) {
  EXPECT_TRUE(slm::validate_model(slmgen::negatives_base_model(), {.verify_digest = true}).ok());
  EXPECT_TRUE(slm::validate_model(slmgen::negatives_base_bpe_model(), {.verify_digest = true}).ok());
}

TEST(Negatives, EachIsRejectedWithItsCode) {
  for (const auto& c : slmgen::make_negatives()) {
    const auto result = slm::validate_model(c.bytes, {.verify_digest = c.verify_digest});
    ASSERT_FALSE(result.ok()) << c.id;
    EXPECT_EQ(slm::error_info(result.status().code).name, slm::error_info(c.expected).name) << c.id << ": " << c.description
                                                                                           << " / " << result.status().message;
    EXPECT_TRUE(result.status().has_offset()) << c.id;
  }
}

TEST(Negatives, DigestCaseIsAcceptedWithoutFullValidation) {
  // The digest is only checked in full validation (check 50); every other check passes.
  for (const auto& c : slmgen::make_negatives()) {
    if (c.verify_digest) {
      EXPECT_TRUE(slm::validate_model(c.bytes).ok()) << c.id;
    }
  }
}

TEST(Negatives, IdsAreUniqueAndPathLike) {
  std::set<std::string> ids;
  for (const auto& c : slmgen::make_negatives()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_NE(c.id.find('/'), std::string::npos) << c.id;
  }
}

TEST(Negatives, FileSourceGivesTheSameVerdictAsSpan) {
  slmtest::TempDir dir;
  for (const auto& c : slmgen::make_negatives()) {
    const std::string path = dir.file("case.slm");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(c.bytes.data()),
                                                static_cast<std::streamsize>(c.bytes.size()));
    auto source = slm::FileSource::open(path);
    ASSERT_TRUE(source.ok());
    const auto from_file = slm::validate_model(*source.value(), {.verify_digest = c.verify_digest});
    const auto from_span = slm::validate_model(c.bytes, {.verify_digest = c.verify_digest});
    EXPECT_EQ(from_file.status().code, from_span.status().code) << c.id;
    EXPECT_EQ(from_file.status().offset, from_span.status().offset) << c.id;
  }
}

// Codes that no file produces on its own: produced by the tests named here.
const std::set<std::string> kCodesTestedElsewhere = {
    "E_LIMIT_ADDRESS_SPACE",  // Load.RefusesFileBeyondAddressSpace
    "E_IO_READ",              // Load.MissingFileIsAnIoError
    "E_EVAL_SET",             // conformance/cases/eval/set-*, cli.eval (eval sets are not model files)
    "E_EVAL_POLICY",          // cli.eval test_a_bad_policy_is_refused
    "E_EVAL_BASELINE",        // cli.eval test_a_baseline_of_another_set_is_refused
    "E_EVAL_SIDECAR",         // cli.eval test_an_edited_sidecar_is_refused
    "E_IO_WRITE",             // OutputSet.AFailedWriteOfOneOutputLeavesEveryFileAsItWas
    "E_OUT_IS_INPUT",         // OutputSet.RefusesAnOutputThatIsAnInput, tests/hostile
    "E_OUT_CLASH",            // OutputSet.RefusesTwoOutputsThatAreOneFile, tests/hostile
    "E_OUT_NO_DIRECTORY",     // OutputSet.RefusesAMissingDirectoryAndSpecialFiles, tests/hostile
    "E_OUT_NOT_REGULAR",      // OutputSet.RefusesAMissingDirectoryAndSpecialFiles, tests/hostile
    "E_OUT_EXISTS",           // OutputSet.MustBeNewRefusesAnExistingFileOrLink
    "E_ARG_VALUE",            // tests/hostile: strict arguments
    "E_LIMIT_TOOL_MEMORY",    // tests/hostile: generator budget
    "E_PROGRAM_INVALID",      // tests/hostile: program files
    "E_CASE_INVALID",         // test_harness.py: test_a_broken_case_is_errored_and_the_run_goes_on
    "E_PROTOCOL_LINE",        // test_harness.py: test_the_reference_speaker_answers_every_line
    "E_REPORT_SHARDS",        // test_scaleout.py: test_bad_merges_are_refused (report folders, not model files)
    "E_GEN_PROMPT_TOO_LONG",  // Generate.PromptLongerThanContextIsAnError
    "E_CONVERT_INPUT",        // test_tokenizer.cpp: malformed llama2.c tokenizer.bin
    "E_ABI_POINTER",          // wasm/tests/abi.test.mjs (raw ABI calls, not files)
    "E_ABI_HANDLE",           // wasm/tests/abi.test.mjs
    "E_ABI_ORDER",            // wasm/tests/abi.test.mjs
    "E_ABI_ARGUMENT",         // wasm/tests/abi.test.mjs
    "E_ABI_MEMORY",           // wasm/tests/abi.test.mjs
    "E_PKT_KEY",           // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_FORMAT",        // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_SIGNATURE",     // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_REVIEW",        // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_PARENT",        // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_ADAPTER",       // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_DESCENDANT",    // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_SET",           // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_POLICY",        // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_SIDECAR",       // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_VERDICT",       // cli/tests/test_packet.py (release packets, not model files)
    "E_PKT_RERUN",         // cli/tests/test_packet.py (release packets, not model files)
};

TEST(Negatives, EveryErrorCodeIsProduced) {
  std::set<std::string> produced;
  for (const auto& c : slmgen::make_negatives()) produced.insert(std::string(slm::error_info(c.expected).name));
  // Adapter codes: the adapter negatives (test_adapter_decode.cpp checks each against its parent).
  for (const auto& c : slmgen::make_adapter_negatives()) produced.insert(std::string(slm::error_info(c.expected).name));
  for (const auto& row : slm::all_errors()) {
    const std::string name(row.name);
    EXPECT_TRUE(produced.count(name) || kCodesTestedElsewhere.count(name)) << name << " has no fixture";
  }
}

}  // namespace
