// slm conform / slm protocol / slm gen cases
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "report.h"
#include "slmconf/cases.h"
#include "slmconf/reference_runtime.h"
#include "slmconf/runner.h"

namespace slmcli {

namespace {

// What a run or a merge prints: the runtime, where the reports went, the counts.
void print_run(const slmconf::Run& run) {
  // Failed (a wrong answer) and errored (no comparable answer: errored, timeout, crash, garbage) are
  // different news for a runtime's author: counted apart.
  const auto counts = slmconf::count_results(run.results);
  const int errored = counts.errored();
  std::cout << "runtime " << slmconf::terminal_safe(run.info.runtime_name) << " "
            << slmconf::terminal_safe(run.info.runtime_version) << " (" << slmconf::terminal_safe(run.info.runtime) << ")\n";
  if (!run.info.report_dir.empty()) std::cout << "reports in " << slmconf::terminal_safe(run.info.report_dir) << "\n";
  std::cout << "conform: " << counts.of(slmconf::Outcome::PASS) << " passed, " << counts.of(slmconf::Outcome::FAIL)
            << " failed, " << errored << " errored, " << counts.of(slmconf::Outcome::SKIPPED) << " skipped";
  if (errored > 0) {
    std::cout << " (";
    const char* sep = "";
    for (auto o : {slmconf::Outcome::ERRORED, slmconf::Outcome::TIMEOUT, slmconf::Outcome::CRASH, slmconf::Outcome::GARBAGE}) {
      if (counts.of(o) == 0) continue;
      std::cout << sep << counts.of(o) << " " << slmconf::outcome_name(o);
      sep = ", ";
    }
    std::cout << ")";
  }
  std::cout << "\n";
}

}  // namespace

int run_conform(const slmconf::RunnerOptions& options) {
  slmconf::Run run;
  const auto ran = slmconf::run_conformance(options, run);
  if (!ran.ok()) return refuse("conform", ran.status());  // exit status 2: usage, a broken case tree, I/O
  print_run(run);
  return ran.value();
}

int run_conform_merge(const slmconf::MergeOptions& options) {
  slmconf::Run run;
  const auto merged = slmconf::merge_reports(options, run);
  if (!merged.ok()) return refuse("conform merge", merged.status());
  print_run(run);
  return merged.value();
}

int run_protocol(std::uint32_t threads) { return slmconf::run_protocol_speaker(std::cin, std::cout, threads); }

int run_gen_cases(const std::string& output_dir) {
  if (auto s = slmconf::write_generated_cases(output_dir); !s.ok()) return refuse("gen cases", s);
  std::cout << output_dir << ": cases and manifest.json written\n";
  return kExitOk;
}

}  // namespace slmcli
