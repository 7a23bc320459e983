// `slm conform`: runs the case tree against a runtime and writes the reports.
#pragma once
#include <string>
#include <vector>

#include "slmconf/connector.h"
#include "slmconf/results.h"

namespace slmconf {

struct RunnerOptions {
  std::string runtime = "ref";       // connector string
  std::string cases_dir;             // conformance/cases
  std::string cache_dir;             // materialised inputs (hex, generated)
  std::string only;                  // glob over case ids; empty = all
  std::string skip_file;             // one case id or glob per line, '#' comments
  double timeout_seconds = 10;
  // Reports go here; "{runtime}" and "{timestamp}" are replaced by the runtime's name and the start
  // time. Empty: no reports.
  std::string report_dir = "reports/{runtime}/{timestamp}";
  bool progress = true;              // progress on stderr (a bar on a terminal, lines otherwise)
};

// Compares one attempt with the case's expectation, level by level.
CaseResult judge(const Case& test, const Attempt& attempt);

// Exit status: 0 every case that was not skipped passed, 1 otherwise, 2 usage errors (then `error`).
int run_conformance(const RunnerOptions& options, Run& run, std::string& error);

}  // namespace slmconf
