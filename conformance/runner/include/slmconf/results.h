// Results of a conformance run and the report writers (spec/protocol.md, "Reports").
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slm/errors.h"
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

// The most of a case's stderr a run keeps: clipped once, when the result is recorded, so
// results.jsonl holds everything any report shows and a merge of shards can rebuild every report.
inline constexpr std::size_t kMaxStderrBytes = 16 * 1024;

// `--shard K/N`: the K-th of N parts of the selected cases (spec/protocol.md section 8).
struct Shard {
  std::uint32_t index = 1, count = 1;  // 1 <= index <= count
};

// What a shard's results.jsonl records so that a merge can check it has every part of one run.
struct ShardInfo {
  Shard shard;
  std::uint64_t selected = 0;  // cases selected before sharding
  std::string selection;       // SHA-256 of their ids, one per line, in run order
};

struct RunInfo {
  std::string runner_version;
  std::string runtime;          // the connector string
  std::string runtime_name, runtime_version;
  std::vector<std::string> capabilities;
  std::string cases_dir;
  std::string cases_digest;       // case_tree_digest of the case tree
  std::string spec_version;
  std::string started, finished;  // ISO 8601 UTC
  std::string report_dir;         // where the reports went, empty if none were written
  int exit_status = 0;            // 0: every case that was not skipped passed
  std::optional<ShardInfo> shard;  // a shard's run; absent for a whole (or merged) run
};

struct Run {
  RunInfo info;
  std::vector<Case> cases;          // owned here: results point into it (move a Run, never copy it)
  std::vector<CaseResult> results;
};

// "SLM-DIR-011" -> "DIR"; chapters group cases in summaries and the HTML matrix.
std::string rule_chapter(const std::string& rule);
std::string chapter_title(const std::string& chapter);

// Writes results.jsonl, summary.md, index.html and junit.xml into `dir` (created if needed) all or
// nothing (slm::OutputSet), or E_IO_WRITE. A report file that is one of `inputs` is refused before
// anything is written (E_OUT_IS_INPUT): `slm conform merge` never writes over a shard it reads.
[[nodiscard]] slm::Status write_reports(const Run& run, const std::string& dir, const std::vector<std::string>& inputs = {});

// A results.jsonl read back: its header, and one result per case line (CaseResult::test is null;
// `ids` gives each result's case id).
struct RecordedRun {
  RunInfo info;
  std::vector<std::string> ids;
  std::vector<CaseResult> results;
};

// Reads DIR/results.jsonl: E_IO_READ when there is no such file, E_ARG_VALUE when it holds a
// truncated (no footer) or malformed run.
[[nodiscard]] slm::Result<RecordedRun> read_results(const std::string& dir);

// The ids of the cases that did not pass (nor were skipped) in a report folder's results.jsonl, for
// `slm conform --rerun-failed DIR`. E_IO_READ when there is no such file, E_ARG_VALUE when it holds
// a truncated or malformed run.
slm::Result<std::vector<std::string>> read_unpassed_ids(const std::string& dir);

// ---- Shared by the report writers (report_*.cpp). Every CaseResult::test must point to a live Case.

// The text of each report; write_reports writes them, tests read them directly.
std::string results_jsonl(const Run& run);
std::string summary_markdown(const Run& run);
std::string index_html(const Run& run);
std::string junit_xml(const Run& run);

inline constexpr std::array<Outcome, 7> kAllOutcomes = {Outcome::PASS,    Outcome::FAIL,  Outcome::SKIPPED,
                                                        Outcome::ERRORED, Outcome::TIMEOUT, Outcome::CRASH,
                                                        Outcome::GARBAGE};
inline constexpr std::array<Level, 5> kAllLevels = {Level::L1, Level::L2, Level::L3, Level::L4, Level::L5};

const char* level_title(Level level);            // "Verdict", "Error code", ...
std::string runtime_title(const RunInfo& info);  // the runtime's name, else its connector string
// "shard 2/3 of 289 selected cases" for a shard's run, else empty: its summary and page say they are partial.
std::string shard_note(const RunInfo& info);
bool is_failure(Outcome outcome);                // FAIL, ERRORED, TIMEOUT, CRASH, GARBAGE
std::optional<Outcome> parse_outcome(std::string_view lower_name);  // "fail" -> FAIL, as results.jsonl spells it

// A case counts toward level k when it tests k (its level >= k) and was not skipped;
// it passes k when its levels entry for k is 1.
bool counts_toward(const CaseResult& result, Level level);
bool passed_level(const CaseResult& result, Level level);

struct LevelCount {
  int passed = 0, total = 0;
};

// Outcome and per-level counts over a set of results.
struct Counts {
  int total = 0;
  std::map<Outcome, int> outcomes;     // absent: none
  std::map<Level, LevelCount> levels;  // absent: no case tests that level

  void add(const CaseResult& result);
  int of(Outcome outcome) const;
  LevelCount of(Level level) const;
  int failures() const;  // results whose outcome is_failure
  // The two kinds of failure a runtime's author reads apart: a wrong answer (fail), and no comparable
  // answer at all (errored, timeout, crash, garbage). failed() + errored() == failures().
  int failed() const { return of(Outcome::FAIL); }
  int errored() const { return failures() - failed(); }
};

Counts count_results(const std::vector<CaseResult>& results);

// `--require-level Lk`: the exit status's verdict. With a level, a run passes when every case that
// counts toward L1..Lk passed each of them (a runtime conforming at Lk, spec/protocol.md section 2);
// without one, when no case failed.
bool run_passes(const Counts& counts, std::optional<Level> required);

// A case's chapter comes from its first rule, else from its expected error's rule, else OTHER.
std::string case_chapter(const Case& test);

struct Chapter {
  std::string code;  // "DIR"
  std::vector<const CaseResult*> results;
  Counts counts;
};

// The run's chapters in spec order (unknown chapters after the known ones, OTHER last).
std::vector<Chapter> chapters_of(const Run& run);

// L1..L3 always, then L4 and L5 only when some case tests them: the columns of a report.
std::vector<Level> reported_levels(const Run& run);

// Text from a runtime may hold anything: invalid UTF-8 and control characters other than tab,
// newline and carriage return become U+FFFD, so the XML and HTML reports stay well-formed.
std::string printable_utf8(std::string_view text);

// Invalid UTF-8 as U+FFFD, everything else kept: text from a runtime is made valid once, when its
// result is recorded, so results.jsonl holds it exactly and reports read back from it are the same.
std::string valid_utf8(std::string_view text);

// For a terminal: control characters (C0, DEL, C1) escaped as \xNN and invalid UTF-8 as U+FFFD, so
// text from a runtime cannot move the cursor, set the title or ring the bell.
std::string terminal_safe(std::string_view text);

// At most `max_bytes` of `text`, cut on a UTF-8 boundary, with a note of what was cut.
std::string clip_text(std::string_view text, std::size_t max_bytes);

}  // namespace slmconf
