// `slm conform`: runs the case tree against a runtime and writes the reports.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "slm/errors.h"
#include "slmconf/connector.h"
#include "slmconf/results.h"

namespace slmconf {

struct RunnerOptions {
  std::string runtime = "ref";       // connector string
  std::string cases_dir;             // conformance/cases
  std::string cache_dir;             // materialised inputs (hex, generated)
  std::vector<std::string> only;     // globs over case ids; a case runs if it matches any; empty = all
  std::vector<std::string> skip_files;  // skip lists: one case id or glob per line, '#' comments
  std::string rerun_failed;          // a report folder: run only the cases that did not pass there
  // Seconds per case for an input of up to 8 MiB; larger inputs (with their parent and stack) get
  // one more such period per 8 MiB, so an interpreted runtime hashing a large model is not cut off.
  double timeout_seconds = 10;
  bool verbose = false;              // a line for every case, not only for those that did not pass
  bool fail_fast = false;            // stop at the first case that does not pass (reports still written)
  // Reports go here; "{runtime}" and "{timestamp}" are replaced by the runtime's name and the start
  // time. Empty: no reports.
  std::string report_dir = "reports/{runtime}/{timestamp}";
  bool progress = true;              // a progress bar on stderr when it is a terminal; results are printed anyway
  // Workers, each with its own connector: N runtime processes for cmd:, oneshot: and wasm:, N threads
  // calling the (thread-safe) reference for ref. 0: one per core. Results and reports do not depend on it.
  std::uint32_t jobs = 1;
  Shard shard;                        // run only this part of the selected cases (default: all of them)
  std::optional<Level> required;      // --require-level: the exit status judges levels L1..Lk only
};

// `slm conform merge`: shard report folders into one report, as a whole run would have written it.
struct MergeOptions {
  std::vector<std::string> inputs;   // shard report folders, in any order
  std::string output;                // the merged report's folder (never one of the inputs)
  std::string cases_dir, cache_dir;  // the case tree the shards ran (its digest must match theirs)
  std::optional<Level> required;
};

// Compares one attempt with the case's expectation, level by level.
CaseResult judge(const Case& test, const Attempt& attempt);

// Runs the selected cases and writes the reports. The exit status (spec/protocol.md section 6):
// 0 every case that was not skipped passed, 1 otherwise; an error is exit status 2: E_CASE_INVALID
// (missing or malformed manifest), E_ARG_VALUE (unknown connector, no case selected, a skip list that
// is not a small regular file, a --rerun-failed folder without a complete run), E_IO_READ (an
// unreadable skip list or report folder), E_IO_WRITE (reports that cannot be written).
slm::Result<int> run_conformance(const RunnerOptions& options, Run& run);

// Checks that the inputs are the N shards of one run, each exactly once and complete, of one
// runtime, runner, case tree and selection, then writes the four reports of the whole run: equal to
// an unsharded run's but for timings (started is the earliest start, finished the latest finish).
// Exit status as run_conformance's. Errors (exit status 2): E_REPORT_SHARDS for inputs that are not
// one run's shards, E_ARG_VALUE for a malformed results.jsonl or no input, E_IO_READ for an
// unreadable one, E_CASE_INVALID for the case tree, E_OUT_IS_INPUT for an output folder that is an
// input, E_IO_WRITE.
slm::Result<int> merge_reports(const MergeOptions& options, Run& run);

}  // namespace slmconf
