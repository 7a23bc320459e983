// Results of a conformance run and the report writers (spec/protocol.md, "Reports").
#pragma once
#include <map>
#include <string>
#include <vector>

#include "slmconf/case.h"

namespace slmconf {

// How a case ended. PASS/FAIL compare an answer with the expectation; the others are the
// runtime's or the runner's reasons for having no comparable answer.
enum class Outcome { PASS, FAIL, SKIPPED, ERRORED, TIMEOUT, CRASH, GARBAGE };
const char* outcome_name(Outcome outcome);

struct CaseResult {
  const Case* test = nullptr;
  Outcome outcome = Outcome::FAIL;
  // Per level: 1 passed, 0 failed, -1 not applicable (above the case's level or no answer).
  std::map<Level, int> levels;
  std::string reason;       // why it failed, for people: "expected E_X, got E_Y"
  std::string expected;     // short text of the expectation
  std::string got;          // short text of the answer
  std::string stderr_text;  // captured from the runtime while this case ran; never decides
  double milliseconds = 0;
  bool skiplisted = false;  // named in the skip list (then outcome is SKIPPED unless it passed)
  bool unexpected_pass = false;  // skip-listed but passed: reported so the list can shrink
};

struct RunInfo {
  std::string runner_version;
  std::string runtime;          // the connector string
  std::string runtime_name, runtime_version;
  std::vector<std::string> capabilities;
  std::string cases_dir;
  std::string spec_version;
  std::string started, finished;  // ISO 8601 UTC
  int exit_status = 0;
};

struct Run {
  RunInfo info;
  std::vector<CaseResult> results;
};

// "SLM-DIR-011" -> "DIR"; chapters group cases in summaries and the HTML matrix.
std::string rule_chapter(const std::string& rule);
std::string chapter_title(const std::string& chapter);

// Writes results.jsonl, summary.md, index.html and junit.xml into `dir` (created if needed).
// Returns an empty string on success, else the error.
std::string write_reports(const Run& run, const std::string& dir);

}  // namespace slmconf
