// The four reports of a synthetic run: every outcome kind, a skip-listed case that passed, and
// stderr holding markup and a control character, which must come out escaped or replaced.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "slmconf/results.h"

namespace {

using nlohmann::json;
using slmconf::Case;
using slmconf::CaseResult;
using slmconf::Level;
using slmconf::Outcome;

const std::string kHostileStderr = "<script>alert(\"x\")</script> & \x01 done";

// A scratch directory removed at the end of the test.
class TempDir {
public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("slm-reports-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class Reports : public ::testing::Test {
protected:
  void SetUp() override {
    run_.cases.reserve(16);  // results point into it
    add("header/bad-magic", Level::L2, {"SLM-HDR-001"}, Outcome::PASS, {1, 1});
    add("header/garbage-answer", Level::L2, {"SLM-HDR-002"}, Outcome::GARBAGE, {0, 0});
    add("directory/overlap", Level::L3, {"SLM-DIR-011"}, Outcome::FAIL, {1, 0, -1});
    add("directory/bounds", Level::L3, {"SLM-DIR-012"}, Outcome::PASS, {1, 1, 1});
    add("checksum/flip", Level::L2, {"SLM-CHK-001"}, Outcome::SKIPPED, {});
    add("checksum/known-broken", Level::L2, {"SLM-CHK-001"}, Outcome::PASS, {1, 1});
    add("identity/digest", Level::L3, {"SLM-ID-001"}, Outcome::ERRORED, {});
    add("tokenizer/huge", Level::L2, {"SLM-TOK-003"}, Outcome::TIMEOUT, {});
    add("padding/nonzero", Level::L2, {"SLM-PAD-001"}, Outcome::CRASH, {});
    add("generation/greedy", Level::L4, {}, Outcome::PASS, {1, 1, 1, 1});

    CaseResult& overlap = run_.results[2];
    overlap.stderr_text = kHostileStderr;
    overlap.reason = "expected E_DIR_OVERLAP, got E_DIR_BOUNDS";
    overlap.expected = "reject E_DIR_OVERLAP";
    overlap.got = "reject E_DIR_BOUNDS";
    run_.results[4].skiplisted = true;
    run_.results[5].skiplisted = true;
    run_.results[5].unexpected_pass = true;
    run_.results[8].stderr_text = std::string(10000, 'x');

    slmconf::RunInfo& info = run_.info;
    info.runner_version = "0.1.0";
    info.runtime = "cmd:./rt --protocol";
    info.runtime_name = "toy<rt>";
    info.runtime_version = "1.2";
    info.capabilities = {"validate"};
    info.cases_dir = "/cases";
    info.spec_version = "1.0";
    info.started = "2024-01-01T00:00:00Z";
    info.finished = "2024-01-01T00:01:00Z";
    info.exit_status = 1;
  }

  void add(const std::string& id, Level level, std::vector<std::string> rules, Outcome outcome,
           const std::vector<int>& levels) {
    Case& test = run_.cases.emplace_back();
    test.id = id;
    test.level = level;
    test.rules = std::move(rules);
    CaseResult& result = run_.results.emplace_back();
    result.test = &test;
    result.outcome = outcome;
    for (std::size_t k = 0; k < levels.size(); ++k) result.levels[static_cast<Level>(k + 1)] = levels[k];
    result.reason = outcome == Outcome::PASS ? "" : "reason for " + id;
    result.expected = "reject";
    result.got = outcome == Outcome::CRASH ? "" : "accept";
    result.milliseconds = 12.5;
  }

  slmconf::Run run_;
};

TEST(Chapters, ParsedFromRules) {
  EXPECT_EQ(slmconf::rule_chapter("SLM-DIR-011"), "DIR");
  EXPECT_EQ(slmconf::rule_chapter("SLM-ID-001"), "ID");
  EXPECT_EQ(slmconf::rule_chapter("SLM-DIR-"), "OTHER");
  EXPECT_EQ(slmconf::rule_chapter("SLM-dir-011"), "OTHER");
  EXPECT_EQ(slmconf::rule_chapter("DIR-011"), "OTHER");
  EXPECT_EQ(slmconf::rule_chapter(""), "OTHER");
  EXPECT_EQ(slmconf::chapter_title("DIR"), "Tensor directory");
  EXPECT_EQ(slmconf::chapter_title("OTHER"), "Other");
}

TEST(Text, PrintableUtf8ReplacesControlsAndInvalidBytes) {
  EXPECT_EQ(slmconf::printable_utf8("a\x01z\tb\n"), "a\xEF\xBF\xBDz\tb\n");
  EXPECT_EQ(slmconf::printable_utf8("\xC3\xA9"), "\xC3\xA9");          // é stays
  EXPECT_EQ(slmconf::printable_utf8("\xC3"), "\xEF\xBF\xBD");          // truncated sequence
  EXPECT_EQ(slmconf::printable_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(Text, ClipCutsOnCharacterBoundary) {
  const std::string clipped = slmconf::clip_text("ab\xC3\xA9z", 3);
  EXPECT_EQ(clipped.substr(0, 3), "ab\n");
  EXPECT_NE(clipped.find("3 more bytes"), std::string::npos);
}

TEST_F(Reports, JsonLinesHaveHeaderCasesAndFooter) {
  const std::vector<std::string> lines = lines_of(slmconf::results_jsonl(run_));
  ASSERT_EQ(lines.size(), run_.results.size() + 2);
  std::vector<json> objects;
  for (const std::string& line : lines) objects.push_back(json::parse(line));  // throws if not JSON
  EXPECT_EQ(objects.front()["type"], "header");
  EXPECT_EQ(objects.front()["format"], "slm-conform-results");
  EXPECT_EQ(objects.front()["format_version"], 1);
  EXPECT_EQ(objects.front()["runtime_name"], "toy<rt>");
  EXPECT_EQ(objects.back()["type"], "footer");
  for (std::size_t i = 1; i + 1 < objects.size(); ++i) EXPECT_EQ(objects[i]["type"], "case");

  const json& counts = objects.back()["counts"];
  EXPECT_EQ(counts["total"], 10);
  EXPECT_EQ(counts["pass"], 4);
  EXPECT_EQ(counts["fail"], 1);
  EXPECT_EQ(counts["skipped"], 1);
  EXPECT_EQ(counts["errored"], 1);
  EXPECT_EQ(counts["timeout"], 1);
  EXPECT_EQ(counts["crash"], 1);
  EXPECT_EQ(counts["garbage"], 1);
  EXPECT_EQ(objects.back()["exit_status"], 1);
  // L1: every case but the skipped one; passes where levels[L1] == 1.
  EXPECT_EQ(objects.back()["per_level"]["L1"], json({{"passed", 5}, {"total", 9}}));
  EXPECT_EQ(objects.back()["per_level"]["L3"], json({{"passed", 2}, {"total", 4}}));
  EXPECT_EQ(objects.back()["per_level"]["L4"], json({{"passed", 1}, {"total", 1}}));

  const json& overlap = objects[3];
  EXPECT_EQ(overlap["id"], "directory/overlap");
  EXPECT_EQ(overlap["outcome"], "fail");
  EXPECT_EQ(overlap["levels"], json({{"L1", true}, {"L2", false}, {"L3", nullptr}}));
  EXPECT_EQ(overlap["stderr"], kHostileStderr);
  EXPECT_EQ(objects[6]["unexpected_pass"], true);
  EXPECT_FALSE(objects[1]["levels"].contains("L3")) << "levels above the case's own are left out";
  // A run clips stderr once, when it records the result (kMaxStderrBytes); results.jsonl keeps what
  // was recorded whole, so every report can be written again from it (slm conform merge).
  EXPECT_EQ(objects[9]["stderr"], std::string(10000, 'x'));
}

TEST(EmptyRun, StillHasHeaderFooterAndWellFormedXml) {
  const slmconf::Run run;
  const std::vector<std::string> lines = lines_of(slmconf::results_jsonl(run));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines.back())["counts"]["total"], 0);
  EXPECT_NE(slmconf::junit_xml(run).find("<testsuites name=\"SLM conformance: \" tests=\"0\""), std::string::npos);
  EXPECT_NE(slmconf::summary_markdown(run).find("## Failures\n\nNone."), std::string::npos);
}

TEST_F(Reports, MarkdownHasLevelsChaptersFailuresAndSkipList) {
  const std::string md = slmconf::summary_markdown(run_);
  EXPECT_NE(md.find("# SLM conformance: toy\\<rt\\> 1.2"), std::string::npos);
  EXPECT_NE(md.find("| L1 | Verdict | 5 | 9 |"), std::string::npos);
  EXPECT_NE(md.find("| L4 | Generation | 1 | 1 |"), std::string::npos);
  EXPECT_EQ(md.find("| L5 |"), std::string::npos) << "no case tests L5";
  EXPECT_NE(md.find("| Tensor directory | 2 | 1 | 1 |"), std::string::npos);
  EXPECT_NE(md.find("| SLM-CHK-001 | 2 | 1 |"), std::string::npos);
  EXPECT_NE(md.find("- `directory/overlap` **FAIL**: expected `reject E_DIR_OVERLAP`, got `reject E_DIR_BOUNDS`. "
                    "expected E\\_DIR\\_OVERLAP, got E\\_DIR\\_BOUNDS"),
            std::string::npos);
  EXPECT_NE(md.find("- `padding/nonzero` **CRASH**: expected `reject`, got *nothing*"), std::string::npos);
  EXPECT_NE(md.find("- `checksum/known-broken`: **unexpected pass: remove from the skip list**"), std::string::npos);
  EXPECT_NE(md.find("- `checksum/flip`: SKIPPED"), std::string::npos);
  EXPECT_EQ(count_of(md, "- `"), 5 + 2) << "five failures, two skip-listed cases";
}

TEST_F(Reports, HtmlHasMatrixAnchorsAndEscapedText) {
  const std::string page = slmconf::index_html(run_);
  EXPECT_NE(page.find("<title>SLM conformance: toy&lt;rt&gt;</title>"), std::string::npos);
  EXPECT_NE(page.find("<table class=\"matrix\">"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos) << "markup from the run must be escaped";
  EXPECT_NE(page.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; \xEF\xBF\xBD done"), std::string::npos);
  EXPECT_EQ(page.find('\x01'), std::string::npos);
  // Directory row: L1 all pass (chapter link), L2 some fail (link to the failing case).
  EXPECT_NE(page.find("<a href=\"#chapter:DIR\">Tensor directory</a>"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"cell some\"><a href=\"#directory/overlap\">1/2</a></td>"), std::string::npos);
  EXPECT_NE(page.find("<tr id=\"directory/overlap\" class=\"failure\">"), std::string::npos);
  EXPECT_NE(page.find("<section id=\"chapter:DIR\">"), std::string::npos);
  EXPECT_NE(page.find(">L4<"), std::string::npos);
  EXPECT_EQ(page.find(">L5<"), std::string::npos);
  EXPECT_NE(page.find("unexpected pass: remove from the skip list"), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos) << "the page fetches nothing";
}

TEST_F(Reports, JunitCountsFailuresErrorsAndSkips) {
  const std::string xml = slmconf::junit_xml(run_);
  EXPECT_NE(xml.find("<testsuites name=\"SLM conformance: toy&lt;rt&gt;\" tests=\"10\" failures=\"2\" "
                     "errors=\"3\" skipped=\"1\" time=\"0.125\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<testsuite name=\"slm.DIR\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""),
            std::string::npos);
  EXPECT_NE(xml.find("<testcase name=\"directory/overlap\" classname=\"slm.DIR\" time=\"0.013\">"),
            std::string::npos);
  EXPECT_EQ(count_of(xml, "<failure "), 2);
  EXPECT_EQ(count_of(xml, "<error "), 3);
  EXPECT_EQ(count_of(xml, "<skipped "), 1);
  EXPECT_EQ(xml.find('\x01'), std::string::npos) << "XML 1.0 forbids control characters";
  EXPECT_EQ(xml.find("<script"), std::string::npos);
}

// Every start tag is closed in order: a small check that works without an XML library.
TEST_F(Reports, JunitTagsBalance) {
  const std::string xml = slmconf::junit_xml(run_);
  const std::regex tag(R"(<(/?)([A-Za-z_][\w.-]*)[^<>]*?(/?)>)");
  std::vector<std::string> open;
  const std::string body = xml.substr(xml.find("?>") + 2);
  for (auto it = std::sregex_iterator(body.begin(), body.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    if (m[3] == "/") continue;  // <empty/>
    if (m[1] == "/") {
      ASSERT_FALSE(open.empty()) << "unexpected " << m[0];
      ASSERT_EQ(open.back(), m[2]) << "mismatched " << m[0];
      open.pop_back();
    } else {
      open.push_back(m[2]);
    }
  }
  EXPECT_TRUE(open.empty());
}

TEST_F(Reports, WrittenFilesPassXmllint) {
  if (!std::filesystem::exists("/usr/bin/xmllint")) GTEST_SKIP() << "xmllint is not installed";
  TempDir dir;
  const auto written = slmconf::write_reports(run_, dir.file("reports"));
  ASSERT_TRUE(written.ok()) << written.message;
  const std::string command = "/usr/bin/xmllint --noout '" + dir.file("reports/junit.xml") + "'";
  EXPECT_EQ(std::system(command.c_str()), 0);
}

TEST_F(Reports, WritesAllFourFiles) {
  TempDir dir;
  const auto written = slmconf::write_reports(run_, dir.file("out/nested"));
  ASSERT_TRUE(written.ok()) << written.message;
  for (const char* name : {"results.jsonl", "summary.md", "index.html", "junit.xml"}) {
    EXPECT_FALSE(slurp(dir.file(std::string("out/nested/") + name)).empty()) << name;
  }
  EXPECT_EQ(slurp(dir.file("out/nested/results.jsonl")), slmconf::results_jsonl(run_));
}

TEST_F(Reports, ReportsAnUnwritableFolder) {
  TempDir dir;
  std::ofstream(dir.file("taken")) << "a file, not a folder";
  const auto written = slmconf::write_reports(run_, dir.file("taken"));
  EXPECT_FALSE(written.ok());
  EXPECT_EQ(written.code, slm::ErrorCode::E_IO_WRITE);
}

TEST_F(Reports, ResultsJsonlReadsBackIntoTheSameReports) {
  // `slm conform merge` writes its reports from results.jsonl: read back and given its cases, a run
  // writes the same four reports, shard header or not.
  run_.info.cases_digest = std::string(64, 'a');
  run_.info.shard = slmconf::ShardInfo{{2, 3}, 30, std::string(64, 'b')};
  TempDir dir;
  ASSERT_TRUE(slmconf::write_reports(run_, dir.file("r")).ok());
  const auto read = slmconf::read_results(dir.file("r"));
  ASSERT_TRUE(read.ok()) << read.status().message;
  slmconf::Run again;
  again.info = read->info;
  ASSERT_TRUE(again.info.shard.has_value());
  EXPECT_EQ(again.info.shard->shard.index, 2u);
  EXPECT_EQ(again.info.shard->selected, 30u);
  ASSERT_EQ(read->results.size(), run_.results.size());
  for (std::size_t i = 0; i < read->results.size(); ++i) {
    EXPECT_EQ(read->ids[i], run_.cases[i].id);
    again.results.push_back(read->results[i]);
    again.results.back().test = &run_.cases[i];
  }
  again.info.exit_status = run_.info.exit_status;
  EXPECT_EQ(slmconf::results_jsonl(again), slmconf::results_jsonl(run_));
  EXPECT_EQ(slmconf::summary_markdown(again), slmconf::summary_markdown(run_));
  EXPECT_EQ(slmconf::index_html(again), slmconf::index_html(run_));
  EXPECT_EQ(slmconf::junit_xml(again), slmconf::junit_xml(run_));
  // A report folder is never written over one of its declared inputs.
  const auto refused = slmconf::write_reports(run_, dir.file("r"), {dir.file("r/summary.md")});
  EXPECT_EQ(refused.code, slm::ErrorCode::E_OUT_IS_INPUT);
}

}  // namespace
