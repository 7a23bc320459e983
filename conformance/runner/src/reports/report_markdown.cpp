// summary.md: what a runtime author reads first, and what CI pastes into a pull request.
#include <algorithm>
#include <map>
#include <string>

#include "slmconf/results.h"

namespace slmconf {
namespace {

constexpr std::size_t kStderrLines = 8;
constexpr std::size_t kStderrLineBytes = 200;

// Text from the run, made inert: Markdown punctuation and HTML are escaped, lines are joined,
// so it stays inside its table cell or list item.
std::string md_text(std::string_view raw) {
  std::string out;
  for (const char c : printable_utf8(raw)) {
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else {
      if (std::string_view("\\`*_[]<>|~&#!").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  return out;
}

std::size_t longest_backtick_run(std::string_view text) {
  std::size_t longest = 0;
  for (std::size_t run = 0; const char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

// A code span whose delimiter is longer than any run of backticks inside it.
std::string md_code(std::string_view raw) {
  std::string text = printable_utf8(raw);
  std::ranges::replace_if(text, [](char c) { return c == '\n' || c == '\r'; }, ' ');
  const std::string fence(longest_backtick_run(text) + 1, '`');
  const bool pad = text.empty() || text.front() == '`' || text.back() == '`';
  return fence + (pad ? " " : "") + text + (pad ? " " : "") + fence;
}

// Expected and got texts may be empty (a crash answers nothing).
std::string md_code_or_nothing(std::string_view raw) { return raw.empty() ? "*nothing*" : md_code(raw); }

// The first lines of stderr in a fenced block, its fence longer than any backtick run inside.
std::string md_stderr_block(std::string_view raw, const std::string& indent) {
  std::string lines;
  std::size_t count = 0, start = 0;
  const std::string text = printable_utf8(raw);
  while (start < text.size() && count < kStderrLines) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines += indent + clip_text(std::string_view(text).substr(start, end - start), kStderrLineBytes) + "\n";
    start = end + 1;
    ++count;
  }
  if (start < text.size()) lines += indent + "...\n";
  const std::string fence = indent + std::string(std::max<std::size_t>(3, longest_backtick_run(lines) + 1), '`');
  return fence + "\n" + lines + fence + "\n";
}

std::string outcome_summary(const Counts& counts) {
  std::string out;
  for (const Outcome outcome : kAllOutcomes) {
    if (counts.of(outcome) == 0) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(counts.of(outcome)) + " " + outcome_name(outcome);
  }
  return out.empty() ? "no cases" : out;
}

std::string heading(const Run& run) {
  const RunInfo& info = run.info;
  std::string out = "# SLM conformance: " + md_text(runtime_title(info));
  if (!info.runtime_version.empty()) out += " " + md_text(info.runtime_version);
  out += "\n\n";
  out += std::to_string(run.results.size()) + " cases against " + md_code(info.runtime);
  if (!info.spec_version.empty()) out += ", spec " + md_text(info.spec_version);
  if (!info.runner_version.empty()) out += ", runner " + md_text(info.runner_version);
  if (!info.started.empty()) out += ", started " + md_text(info.started);
  if (info.shard) out += ", " + md_text(shard_note(info)) + " (`slm conform merge` joins the shards)";
  const Counts counts = count_results(run.results);
  out += ".\n\n**" + std::to_string(counts.of(Outcome::PASS)) + " passed, " + std::to_string(counts.failed()) + " failed, " +
         std::to_string(counts.errored()) + " errored, " + std::to_string(counts.of(Outcome::SKIPPED)) +
         " skipped.** Outcomes: " + outcome_summary(counts) + ".\n";
  return out;
}

std::string level_table(const Run& run) {
  const Counts counts = count_results(run.results);
  std::string out = "\n## Levels\n\n| Level | Checks | Passed | Cases |\n|---|---|--:|--:|\n";
  for (const Level level : reported_levels(run)) {
    const LevelCount count = counts.of(level);
    out += std::string("| ") + level_name(level) + " | " + level_title(level) + " | " +
           std::to_string(count.passed) + " | " + std::to_string(count.total) + " |\n";
  }
  return out + "\nA case counts toward every level up to its own unless it was skipped.\n";
}

std::string chapter_table(const Run& run) {
  std::string out = "\n## Chapters\n\n| Chapter | Cases | Passed | Failed | Errored | Skipped |\n|---|--:|--:|--:|--:|--:|\n";
  for (const Chapter& chapter : chapters_of(run)) {
    out += "| " + md_text(chapter_title(chapter.code)) + " | " + std::to_string(chapter.counts.total) + " | " +
           std::to_string(chapter.counts.of(Outcome::PASS)) + " | " + std::to_string(chapter.counts.failed()) + " | " +
           std::to_string(chapter.counts.errored()) + " | " + std::to_string(chapter.counts.of(Outcome::SKIPPED)) + " |\n";
  }
  return out;
}

std::string rule_table(const Run& run) {
  struct RuleCount {
    int cases = 0, passed = 0;
  };
  std::map<std::string, RuleCount> rules;
  for (const CaseResult& result : run.results) {
    for (const std::string& rule : result.test->rules) {
      ++rules[rule].cases;
      if (result.outcome == Outcome::PASS) ++rules[rule].passed;
    }
  }
  std::string out = "\n## Rule coverage\n\n";
  if (rules.empty()) return out + "No case names a spec rule.\n";
  out += "| Rule | Cases | Passed |\n|---|--:|--:|\n";
  for (const auto& [rule, count] : rules) {
    out += "| " + md_text(rule) + " | " + std::to_string(count.cases) + " | " + std::to_string(count.passed) + " |\n";
  }
  return out;
}

std::string failure_list(const Run& run) {
  std::string out = "\n## Failures\n\n";
  bool any = false;
  for (const CaseResult& result : run.results) {
    if (!is_failure(result.outcome)) continue;
    any = true;
    out += "- " + md_code(result.test->id) + " **" + outcome_name(result.outcome) + "**: expected " +
           md_code_or_nothing(result.expected) + ", got " + md_code_or_nothing(result.got);
    if (!result.reason.empty()) out += ". " + md_text(result.reason);
    out += "\n";
    if (!result.stderr_text.empty()) out += "\n" + md_stderr_block(result.stderr_text, "  ") + "\n";
  }
  return out + (any ? "" : "None.\n");
}

std::string skip_list(const Run& run) {
  std::string out = "\n## Skip list\n\n";
  bool any = false;
  for (const CaseResult& result : run.results) {
    if (!result.skiplisted) continue;
    any = true;
    out += "- " + md_code(result.test->id) + ": ";
    out += result.unexpected_pass ? std::string("**unexpected pass: remove from the skip list**")
                                  : outcome_name(result.outcome);
    out += "\n";
  }
  return out + (any ? "" : "No case is skip-listed.\n");
}

}  // namespace

std::string summary_markdown(const Run& run) {
  return heading(run) + level_table(run) + chapter_table(run) + rule_table(run) + failure_list(run) +
         skip_list(run);
}

}  // namespace slmconf
