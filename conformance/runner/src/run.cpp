// The run loop: load cases, filter, drive the connector case by case, report.
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

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

// One case through one connector, recorded: text from the runtime made valid UTF-8 and its stderr
// clipped here, once, so results.jsonl holds exactly what every report shows.
CaseResult run_case(const Case& c, std::uint64_t seq, Connector& connector, const RunnerOptions& o,
                    const std::vector<std::string>& skip, int& start_failures) {
  Attempt attempt;
  const auto begin = std::chrono::steady_clock::now();
  if (start_failures >= kMaxConsecutiveStartFailures) {
    attempt.kind = Attempt::Kind::CRASH;
    attempt.detail = "not run: the runtime failed to start " + std::to_string(start_failures) + " times in a row";
  } else if (!c.load_error.empty()) {
    attempt.answer.kind = Answer::Kind::ERRORED;  // never sent: the case itself is broken
    attempt.answer.message = "case cannot be loaded: " + c.load_error;
  } else {
    Request request = request_for(c);
    request.seq = seq;
    const double periods = 1.0 + static_cast<double>(input_bytes(c) / (8u << 20));
    attempt = connector.run(request, o.timeout_seconds * periods);
    start_failures = attempt.not_started ? start_failures + 1 : 0;
  }
  CaseResult r = judge(c, attempt);
  r.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
  for (std::string* text : {&r.reason, &r.expected, &r.got}) *text = valid_utf8(*text);
  r.stderr_text = clip_text(valid_utf8(r.stderr_text), kMaxStderrBytes);
  for (const auto& pattern : skip) {
    if (glob_match(pattern, c.id)) r.skiplisted = true;
  }
  if (r.skiplisted) {
    if (r.outcome == Outcome::PASS) r.unexpected_pass = true;
    else r.outcome = Outcome::SKIPPED;
  }
  return r;
}

// Runs `selected` on `connectors.size()` workers, each with its own connector (its own runtime
// process), taking cases in order. Results are kept by position and reported in order, so the
// results, the reports and the lines on stderr are those of one worker, only sooner. seqs[i] is the
// request number of case i: its place in the whole selection, the same for any --jobs and --shard.
std::vector<CaseResult> run_selected(const std::vector<const Case*>& selected, const std::vector<std::uint64_t>& seqs,
                                     const std::vector<std::unique_ptr<Connector>>& connectors, const RunnerOptions& o,
                                     const std::vector<std::string>& skip) {
  std::vector<std::optional<CaseResult>> slots(selected.size());
  std::mutex mutex;                       // guards slots, reported, ended
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stopping{false};      // --fail-fast: no new case once one did not pass
  std::size_t reported = 0;               // slots [0, reported) are on stderr
  bool ended = false;                     // --fail-fast: the first case that did not pass is reported
  Progress progress(o.progress, o.verbose, selected.size());
  const auto work = [&](Connector& connector) {
    int start_failures = 0;
    while (!stopping.load()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= selected.size()) break;
      CaseResult r = run_case(*selected[i], seqs[i], connector, o, skip, start_failures);
      const std::lock_guard lock(mutex);
      if (o.fail_fast && is_failure(r.outcome)) stopping.store(true);
      slots[i] = std::move(r);
      for (; !ended && reported < slots.size() && slots[reported]; ++reported) {
        progress.update(reported + 1, *slots[reported]);
        ended = o.fail_fast && is_failure(slots[reported]->outcome);
      }
    }
  };
  std::vector<std::thread> workers;
  for (std::size_t w = 1; w < connectors.size(); ++w) workers.emplace_back(work, std::ref(*connectors[w]));
  work(*connectors[0]);
  for (auto& worker : workers) worker.join();
  // Every case before the first that stopped a --fail-fast run was taken before it, so has ended.
  std::vector<CaseResult> results;
  for (auto& slot : slots) {
    if (!slot) break;
    results.push_back(std::move(*slot));
    if (o.fail_fast && is_failure(results.back().outcome)) break;
  }
  return results;
}

std::string selection_digest(const std::vector<const Case*>& selected) {
  std::vector<std::string> ids;
  for (const Case* c : selected) ids.push_back(c->id);
  return case_ids_digest(ids);
}

std::uint32_t job_count(std::uint32_t jobs) { return jobs == 0 ? std::max(1u, std::thread::hardware_concurrency()) : jobs; }

}  // namespace

slm::Result<int> run_conformance(const RunnerOptions& o, Run& run) {
  const auto usage = [](std::string message) { return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, std::move(message)); };
  if (o.shard.index < 1 || o.shard.index > o.shard.count) {
    return usage("--shard " + std::to_string(o.shard.index) + "/" + std::to_string(o.shard.count) + ": K must be 1..N");
  }
  auto loaded = load_cases(o.cases_dir, o.cache_dir);
  if (!loaded.ok()) return loaded.status();
  run.cases = std::move(loaded.value());
  const std::vector<Case>& cases = run.cases;
  auto digest = case_tree_digest(o.cases_dir, cases);
  if (!digest.ok()) return digest.status();
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
  std::vector<std::unique_ptr<Connector>> connectors;
  connectors.push_back(std::move(made.value()));

  std::vector<const Case*> chosen;
  for (const auto& c : cases) {
    bool wanted = o.only.empty();
    for (const auto& pattern : o.only) wanted = wanted || glob_match(pattern, c.id);
    if (!rerun.empty()) wanted = wanted && std::find(rerun.begin(), rerun.end(), c.id) != rerun.end();
    if (wanted) chosen.push_back(&c);
  }
  if (chosen.empty()) {
    std::string patterns;
    for (const auto& p : o.only) patterns += (patterns.empty() ? "'" : ", '") + p + "'";
    return usage("no case matches " + (patterns.empty() ? std::string("the selection") : patterns));
  }
  // --shard K/N: round-robin over the selection in manifest order, case i (from 0) to shard
  // i mod N + 1. The same on every machine with the same tree, shard sizes differ by at most one,
  // and a merge interleaves the shards back into the order of a whole run.
  std::vector<const Case*> selected;
  std::vector<std::uint64_t> seqs;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    if (i % o.shard.count != o.shard.index - 1) continue;
    selected.push_back(chosen[i]);
    seqs.push_back(i + 1);
  }
  if (selected.empty()) {
    return usage("--shard " + std::to_string(o.shard.index) + "/" + std::to_string(o.shard.count) + ": no case of the " +
                 std::to_string(chosen.size()) + " selected falls in this shard");
  }
  run.info.runner_version = "0.1.0";
  run.info.runtime = o.runtime;
  run.info.cases_dir = o.cases_dir;
  run.info.cases_digest = digest.value();
  run.info.spec_version = "1";
  if (o.shard.count > 1) run.info.shard = ShardInfo{o.shard, chosen.size(), selection_digest(chosen)};
  run.info.started = utc_now();
  const Hello hello = connectors[0]->hello();
  run.info.runtime_name = hello.name;
  run.info.runtime_version = hello.version;
  run.info.capabilities = hello.capabilities;
  // More workers only for a runtime that starts: one that does not is reported as with one worker.
  const std::size_t workers = connectors[0]->started() ? std::min<std::size_t>(job_count(o.jobs), selected.size()) : 1;
  while (connectors.size() < workers) {
    auto another = make_connector(o.runtime, o.timeout_seconds);
    if (!another.ok()) return another.status();
    connectors.push_back(std::move(another.value()));
  }

  run.results = run_selected(selected, seqs, connectors, o, skip);
  for (auto& connector : connectors) connector->stop();
  run.info.finished = utc_now();
  const Counts counts = count_results(run.results);
  run.info.exit_status = run_passes(counts, std::nullopt) ? 0 : 1;
  if (!o.report_dir.empty()) {
    run.info.report_dir = expand_report_dir(o.report_dir, run.info);
    if (auto s = write_reports(run, run.info.report_dir); !s.ok()) {
      s.message = "cannot write reports: " + s.message;
      return s;
    }
  }
  return run_passes(counts, o.required) ? 0 : 1;
}

}  // namespace slmconf
