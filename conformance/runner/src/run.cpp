// The run loop: load cases, filter, drive the connector case by case, report.
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "ops/op.h"
#include "slmconf/cases.h"
#include "slmconf/runner.h"

namespace slmconf {

namespace {

constexpr int kMaxConsecutiveStartFailures = 3;

std::string utc_now() {
  char text[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// "{runtime}" -> the hello name made path-safe and at most 64 bytes (a runtime chooses its name, and a
// folder name has a length limit), "{timestamp}" -> 20261126T150000Z.
std::string expand_report_dir(std::string pattern, const RunInfo& info) {
  std::string runtime;
  for (char ch : info.runtime_name.empty() ? std::string("runtime") : info.runtime_name) {
    if (runtime.size() == 64) break;
    runtime += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ? ch : '_';
  }
  std::string stamp;
  for (char ch : info.started) if (ch != '-' && ch != ':') stamp += ch;
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"{runtime}", runtime}, {"{timestamp}", stamp}}) {
    for (auto at = pattern.find(key); at != std::string::npos; at = pattern.find(key)) pattern.replace(at, key.size(), value);
  }
  return pattern;
}

bool glob_match(const std::string& pattern, const std::string& id) { return ::fnmatch(pattern.c_str(), id.c_str(), 0) == 0; }

constexpr std::uintmax_t kMaxSkipListBytes = 1u << 20;

// A skip list is a regular file of at most 1 MiB: never a device or FIFO that reads forever. Its
// patterns are appended to `out`.
slm::Status read_skip_list(const std::string& path, std::vector<std::string>& out) {
  const auto refuse = [](slm::ErrorCode code, std::string message) { return slm::make_error(code, slm::kNoOffset, std::move(message)); };
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::is_regular_file(status)) {
    return refuse(slm::ErrorCode::E_ARG_VALUE, "skip list " + path + " is not a regular file");
  }
  if (std::filesystem::file_size(path, ec) > kMaxSkipListBytes || ec) {
    return refuse(slm::ErrorCode::E_ARG_VALUE, "skip list " + path + " is larger than 1 MiB");
  }
  std::ifstream in(path);
  if (!in) return refuse(slm::ErrorCode::E_IO_READ, "cannot read skip list " + path);
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    const auto b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
    if (b != std::string::npos) out.push_back(line.substr(b, e - b + 1));
  }
  return slm::Status::success();
}

// Stderr while the run goes: a line for every case that did not pass (every case with -v), always;
// a progress bar under them on a terminal unless progress is off.
class Progress {
public:
  Progress(bool bar, bool verbose, std::size_t total)
      : bar_(bar && ::isatty(2) != 0), verbose_(verbose), total_(total) {}
  void update(std::size_t done, const CaseResult& r) {
    if (bar_) std::fprintf(stderr, "\r\033[K");  // clear the bar before a result line
    if (verbose_ || r.outcome != Outcome::PASS) {
      // Everything here may come from the runtime: escaped, so it cannot drive the terminal.
      std::fprintf(stderr, "%s %s: expected %s, got %s%s%s\n", outcome_name(r.outcome), terminal_safe(r.test->id).c_str(),
                   terminal_safe(r.expected).c_str(), terminal_safe(r.got).c_str(), r.reason.empty() ? "" : " - ",
                   terminal_safe(r.reason).c_str());
    }
    if (bar_) {
      const int width = 30, filled = static_cast<int>(width * done / std::max<std::size_t>(total_, 1));
      std::fprintf(stderr, "[%.*s%*s] %zu/%zu", filled, "==============================", width - filled, "", done, total_);
      if (done == total_) std::fprintf(stderr, "\n");
    }
  }

private:
  bool bar_, verbose_;
  std::size_t total_;
};

// The bytes a case hands the runtime: its input, parent and stack (0 for what is absent).
std::uintmax_t input_bytes(const Case& c) {
  std::vector<std::string> paths =
      std::visit([](const auto& p) { return Behaviour<OpOf<decltype(p)>>::other_inputs(p); }, c.params);
  paths.push_back(c.input_path);
  std::uintmax_t total = 0;
  for (const auto& path : paths) {
    std::error_code ec;
    const auto size = path.empty() ? 0 : std::filesystem::file_size(path, ec);
    if (!ec) total += size;
  }
  return total;
}

}  // namespace

slm::Result<int> run_conformance(const RunnerOptions& o, Run& run) {
  const auto usage = [](std::string message) { return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, std::move(message)); };
  auto loaded = load_cases(o.cases_dir, o.cache_dir);
  if (!loaded.ok()) return loaded.status();
  run.cases = std::move(loaded.value());
  const std::vector<Case>& cases = run.cases;
  std::vector<std::string> skip;
  for (const auto& file : o.skip_files) {
    if (auto s = read_skip_list(file, skip); !s.ok()) return s;
  }
  std::vector<std::string> rerun;
  if (!o.rerun_failed.empty()) {
    auto unpassed = read_unpassed_ids(o.rerun_failed);
    if (!unpassed.ok()) {
      slm::Status s = unpassed.status();
      s.message = "--rerun-failed: " + s.message;
      return s;
    }
    rerun = std::move(unpassed.value());
    if (rerun.empty()) return usage("--rerun-failed: every case passed in " + o.rerun_failed);
  }
  auto made = make_connector(o.runtime, o.timeout_seconds);
  if (!made.ok()) return made.status();
  const std::unique_ptr<Connector>& connector = made.value();

  std::vector<const Case*> selected;
  for (const auto& c : cases) {
    bool chosen = o.only.empty();
    for (const auto& pattern : o.only) chosen = chosen || glob_match(pattern, c.id);
    if (!rerun.empty()) chosen = chosen && std::find(rerun.begin(), rerun.end(), c.id) != rerun.end();
    if (chosen) selected.push_back(&c);
  }
  if (selected.empty()) {
    std::string patterns;
    for (const auto& p : o.only) patterns += (patterns.empty() ? "'" : ", '") + p + "'";
    return usage("no case matches " + (patterns.empty() ? std::string("the selection") : patterns));
  }
  run.info.runner_version = "0.1.0";
  run.info.runtime = o.runtime;
  run.info.cases_dir = o.cases_dir;
  run.info.spec_version = "1";
  run.info.started = utc_now();
  const Hello hello = connector->hello();
  run.info.runtime_name = hello.name;
  run.info.runtime_version = hello.version;
  run.info.capabilities = hello.capabilities;

  Progress progress(o.progress, o.verbose, selected.size());
  int start_failures = 0;
  std::uint64_t seq = 0;
  for (const Case* c : selected) {
    Attempt attempt;
    const auto begin = std::chrono::steady_clock::now();
    if (start_failures >= kMaxConsecutiveStartFailures) {
      attempt.kind = Attempt::Kind::CRASH;
      attempt.detail = "not run: the runtime failed to start " + std::to_string(start_failures) + " times in a row";
    } else if (!c->load_error.empty()) {
      attempt.answer.kind = Answer::Kind::ERRORED;  // never sent: the case itself is broken
      attempt.answer.message = "case cannot be loaded: " + c->load_error;
    } else {
      Request request = request_for(*c);
      request.seq = ++seq;
      const double periods = 1.0 + static_cast<double>(input_bytes(*c) / (8u << 20));
      attempt = connector->run(request, o.timeout_seconds * periods);
      start_failures = attempt.not_started ? start_failures + 1 : 0;
    }
    CaseResult r = judge(*c, attempt);
    r.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
    for (const auto& pattern : skip) {
      if (glob_match(pattern, c->id)) r.skiplisted = true;
    }
    if (r.skiplisted) {
      if (r.outcome == Outcome::PASS) r.unexpected_pass = true;
      else r.outcome = Outcome::SKIPPED;
    }
    run.results.push_back(std::move(r));
    progress.update(run.results.size(), run.results.back());
    const Outcome last = run.results.back().outcome;
    if (o.fail_fast && last != Outcome::PASS && last != Outcome::SKIPPED) break;
  }
  connector->stop();
  run.info.finished = utc_now();
  bool all_passed = true;
  for (const auto& r : run.results) {
    if (r.outcome != Outcome::PASS && r.outcome != Outcome::SKIPPED) all_passed = false;
  }
  run.info.exit_status = all_passed ? 0 : 1;
  if (!o.report_dir.empty()) {
    run.info.report_dir = expand_report_dir(o.report_dir, run.info);
    if (auto s = write_reports(run, run.info.report_dir); !s.ok()) {
      s.message = "cannot write reports: " + s.message;
      return s;
    }
  }
  return run.info.exit_status;
}

}  // namespace slmconf
