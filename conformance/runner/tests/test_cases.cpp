// Reading the case tree: annotated hex and malformed input never crash or allocate on trust; every
// failure is a Status with its code (E_CASE_INVALID, E_PROGRAM_INVALID, E_IO_READ, E_ARG_VALUE).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "slmconf/cases.h"
#include "slmconf/program_json.h"
#include "slmconf/programs.h"
#include "slmconf/results.h"

namespace {

TEST(AnnotatedHex, BytesRepeatsAndComments) {
  const auto out = slmconf::parse_annotated_hex("53 4c # magic\n00*3 FF  # tail\n");
  ASSERT_TRUE(out.ok()) << out.status().message;
  EXPECT_EQ(out.value(), (std::vector<std::uint8_t>{0x53, 0x4c, 0, 0, 0, 0xff}));
}

TEST(AnnotatedHex, MalformedTokensAreErrors) {
  for (const char* text : {"5", "533", "zz", "00*", "00*x", "00*0", "00*-1", "00*99999999999999999999999"}) {
    const auto out = slmconf::parse_annotated_hex(text);
    ASSERT_FALSE(out.ok()) << text;
    EXPECT_EQ(out.status().code, slm::ErrorCode::E_CASE_INVALID) << text;
    EXPECT_NE(out.status().message.find("line 1: "), std::string::npos) << out.status().message;
  }
}

TEST(AnnotatedHex, RepeatBombIsRejected) {
  // corpus/regressions/protocol/hex-repeat-bomb.txt: 32 bytes of text asking for 42 MB
  const auto bomb = slmconf::parse_annotated_hex("# header\n53 4C 4D 4D*42672951  3");
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.status().message.find("line 2: decodes to more than 16 MiB"), std::string::npos) << bomb.status().message;
  const auto limit = slmconf::parse_annotated_hex("00*16777216");  // exactly the limit
  ASSERT_TRUE(limit.ok()) << limit.status().message;
  EXPECT_EQ(limit.value().size(), 16u << 20);
  EXPECT_FALSE(slmconf::parse_annotated_hex("00*16777216 00").ok());  // one more
}

TEST(ProgramJson, ParsesAndRoundTrips) {
  const auto p = slmconf::program_from_json_text(R"({"dim": 64, "entries": [{"prompt": "a", "continuation": "b"}]})");
  ASSERT_TRUE(p.ok()) << p.status().message;
  EXPECT_EQ(p->dim, 64u);
  EXPECT_EQ(p->hidden_dim, slmgen::ModelProgram{}.hidden_dim);  // absent keys keep the defaults
  ASSERT_EQ(p->entries.size(), 1u);
  const auto again = slmconf::program_from_json_text(slmconf::program_to_json_text(p.value()));
  ASSERT_TRUE(again.ok()) << again.status().message;
  EXPECT_EQ(slmconf::program_to_json_text(again.value()), slmconf::program_to_json_text(p.value()));
}

TEST(ProgramJson, MalformedProgramsAreProgramInvalid) {
  const std::pair<const char*, const char*> cases[] = {
      {"[]", "a program is a JSON object"},
      {R"({"entries": [], "dimm": 64})", "unknown key 'dimm'"},
      {R"({"entries": [], "dim": -1})", "dim must be an unsigned integer"},
      {R"({"entries": [], "vocab": 4294967296})", "vocab must be an unsigned integer"},
      {R"({"entries": [], "dtype": 4})", "dtype must be a string"},
      {R"({"entries": [], "min_margin": "big"})", "min_margin must be a number"},
      {R"({"entries": {}})", "entries must be an array"},
      {R"({"entries": [{"prompt": "a"}]})", "each entry is"},
  };
  for (const auto& [text, says] : cases) {
    const auto p = slmconf::program_from_json_text(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code, slm::ErrorCode::E_PROGRAM_INVALID) << text;
    EXPECT_NE(p.status().message.find(says), std::string::npos) << text << ": " << p.status().message;
  }
}

class Folder {
public:
  Folder() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("slm-cases-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~Folder() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  void put(const std::string& name, const std::string& text) const { std::ofstream(file(name)) << text; }

private:
  std::filesystem::path path_;
};

TEST(LoadCases, OnlyABrokenManifestIsAnError) {
  Folder dir;
  const auto missing = slmconf::load_cases(dir.file(""), dir.file("cache"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code, slm::ErrorCode::E_CASE_INVALID);
  dir.put("manifest.json", R"({"cases": {}})");
  EXPECT_EQ(slmconf::load_cases(dir.file(""), dir.file("cache")).status().code, slm::ErrorCode::E_CASE_INVALID);
  // A case that cannot be loaded is kept, errored, with the reason: the run goes on.
  dir.put("manifest.json", R"({"cases": [{"id": "../escape"}, {"id": "nothing/here"}]})");
  const auto loaded = slmconf::load_cases(dir.file(""), dir.file("cache"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message;
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ(loaded->at(0).load_error, "not a case id");
  EXPECT_NE(loaded->at(1).load_error.find("not a JSON object"), std::string::npos) << loaded->at(1).load_error;
}

TEST(UnpassedIds, ReadsOnlyACompleteRun) {
  Folder dir;
  EXPECT_EQ(slmconf::read_unpassed_ids(dir.file("")).status().code, slm::ErrorCode::E_IO_READ);
  const std::string header = R"({"type": "header", "format": "slm-conform-results", "format_version": 1})";
  const auto case_line = [](const char* id, const char* outcome) {
    return std::string(R"({"type": "case", "id": ")") + id + R"(", "outcome": ")" + outcome +
           R"(", "levels": {"L1": true}, "milliseconds": 1})";
  };
  dir.put("results.jsonl", header + "\n" + case_line("a", "fail") + "\n" + case_line("b", "pass") + "\n" +
                               case_line("c", "skipped") + "\n" + case_line("d", "crash") + "\n");
  const auto truncated = slmconf::read_unpassed_ids(dir.file(""));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code, slm::ErrorCode::E_ARG_VALUE);
  EXPECT_NE(truncated.status().message.find("no footer"), std::string::npos) << truncated.status().message;
  {
    std::ofstream(dir.file("results.jsonl"), std::ios::app) << R"({"type": "footer", "finished": ""})" << "\n";
  }
  const auto ids = slmconf::read_unpassed_ids(dir.file(""));
  ASSERT_TRUE(ids.ok()) << ids.status().message;
  EXPECT_EQ(ids.value(), (std::vector<std::string>{"a", "d"}));
  // A line the writer would never write is refused, not skipped.
  dir.put("results.jsonl", header + "\n" + R"({"type": "case", "id": "a", "outcome": "maybe", "levels": {}, "milliseconds": 1})" +
                               "\n" + R"({"type": "footer", "finished": ""})" + "\n");
  EXPECT_EQ(slmconf::read_unpassed_ids(dir.file("")).status().code, slm::ErrorCode::E_ARG_VALUE);
}

}  // namespace

TEST(Programs, EveryCommittedProgramIsCompiledInAndBuilds) {
  // conformance/programs/*.json is the one copy of each program; the generator compiles it in.
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(SLM_SOURCE_DIR) + "/conformance/programs")) {
    if (e.path().extension() == ".json") files.push_back(e.path().stem().string());
  }
  auto names = slmconf::builtin_program_names();
  std::sort(files.begin(), files.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, files);
  for (const auto& name : names) {
    const auto p = slmconf::builtin_program(name);
    ASSERT_TRUE(p.ok()) << name << ": " << p.status().message;
    EXPECT_TRUE(slmgen::build_programmed_model(p.value()).ok()) << name;
  }
  const auto missing = slmconf::builtin_program("no-such-program");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code, slm::ErrorCode::E_PROGRAM_INVALID);
}
