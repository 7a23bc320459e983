// slm conform / slm protocol / slm gen cases
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "slmconf/cases.h"
#include "slmconf/reference_runtime.h"
#include "slmconf/runner.h"

namespace slmcli {

int run_conform(const slmconf::RunnerOptions& options) {
  slmconf::Run run;
  std::string error;
  const int status = slmconf::run_conformance(options, run, error);
  if (status == kExitUsage) {
    std::cerr << "slm conform: " << error << '\n';
    return status;
  }
  std::size_t passed = 0, failed = 0, skipped = 0;
  for (const auto& r : run.results) {
    if (r.outcome == slmconf::Outcome::PASS) ++passed;
    else if (r.outcome == slmconf::Outcome::SKIPPED) ++skipped;
    else ++failed;
  }
  std::cout << "runtime " << run.info.runtime_name << " " << run.info.runtime_version << " (" << options.runtime << ")\n";
  if (!run.info.report_dir.empty()) std::cout << "reports in " << run.info.report_dir << "\n";
  std::cout << "conform: " << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return status;
}

int run_protocol() { return slmconf::run_protocol_speaker(std::cin, std::cout); }

int run_gen_cases(const std::string& output_dir) {
  if (auto error = slmconf::write_generated_cases(output_dir); !error.empty()) {
    std::cerr << "slm gen cases: " << error << '\n';
    return kExitUsage;
  }
  std::cout << output_dir << ": cases and manifest.json written\n";
  return kExitOk;
}

}  // namespace slmcli
