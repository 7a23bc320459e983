// index.html: one static page, no scripts and nothing fetched, so it can be published as is.
// A matrix of spec chapters by conformance level links to a section per chapter listing its cases.
#include <cstdio>
#include <string>

#include "slmconf/results.h"

namespace slmconf {
namespace {

constexpr std::size_t kMaxStderrBytes = 16 * 1024;

constexpr std::string_view kStyle = R"css(
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
  --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
  --none: #6e7781; --none-bg: #eff2f5; --warn: #9a6700; --warn-bg: #fff8c5; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h1 .version { color: var(--muted); font-weight: 400; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h2 small { color: var(--muted); font-weight: 400; font-size: 14px; margin-left: 8px; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.meta { color: var(--muted); margin: 0 0 16px; }
.meta code { background: var(--soft); padding: 1px 5px; border-radius: 4px; }
.pills { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; list-style: none; }
.pill { padding: 3px 12px; border-radius: 999px; font-weight: 600; font-size: 14px;
  background: var(--none-bg); color: var(--none); }
.pill.pass { background: var(--pass-bg); color: var(--pass); }
.pill.fail { background: var(--fail-bg); color: var(--fail); }
.pill.skip { background: var(--warn-bg); color: var(--warn); }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 8px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { font-size: 13px; color: var(--muted); font-weight: 600; background: var(--soft); }
thead th small { display: block; font-weight: 400; }
.matrix th.cell { text-align: center; }
.matrix td.cell { text-align: center; font-variant-numeric: tabular-nums; font-weight: 600; width: 13%; }
.matrix td.cell a { color: inherit; display: block; }
.matrix td.number { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); width: 8%; }
.cell.all { background: var(--pass-bg); color: var(--pass); }
.cell.some { background: var(--fail-bg); color: var(--fail); }
.cell.none { background: var(--none-bg); color: var(--none); font-weight: 400; }
.legend { color: var(--muted); font-size: 13px; }
.legend span { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -1px; margin: 0 4px 0 12px; }
.cases { table-layout: fixed; }
.cases th.outcome { width: 120px; }
.cases .mark { text-align: center; width: 48px; }
.cases td.mark { font-weight: 700; }
.cases .time { text-align: right; width: 84px; }
.mark.yes { color: var(--pass); } .mark.no { color: var(--fail); } .mark.na { color: var(--none); font-weight: 400; }
.cases td.time { white-space: nowrap; color: var(--muted); font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 8px; border-radius: 4px; font-size: 12px; font-weight: 700; letter-spacing: .02em;
  background: var(--none-bg); color: var(--none); }
.badge.PASS { background: var(--pass-bg); color: var(--pass); }
.badge.FAIL, .badge.ERRORED, .badge.TIMEOUT, .badge.CRASH, .badge.GARBAGE { background: var(--fail-bg); color: var(--fail); }
.badge.SKIPPED { background: var(--warn-bg); color: var(--warn); }
tr.failure { background: #fff6f5; }
tr.failure td:first-child { box-shadow: inset 3px 0 var(--fail); }
tr:target { outline: 2px solid #0969da; outline-offset: -2px; }
.detail { margin: 6px 0 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 14px; }
.detail dt { color: var(--muted); }
.detail dd { margin: 0; overflow-wrap: anywhere; }
details { margin-top: 6px; }
summary { cursor: pointer; color: var(--muted); font-size: 13px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px;
  margin: 6px 0 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 320px; overflow: auto; }
ul.list { padding-left: 20px; }
ul.list li { margin: 4px 0; }
.note { color: var(--warn); font-weight: 600; }
footer { color: var(--muted); font-size: 13px; margin-top: 48px; }
)css";

std::string html(std::string_view raw) {
  std::string out;
  for (const char c : printable_utf8(raw)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// A case id as an element id and URL fragment: letters, digits and "-._/" stay (ids are
// "<area>/<name>"), every other byte becomes "_XX", so distinct cases get distinct anchors and
// no case anchor contains ':' like the page's own anchors do.
std::string case_anchor(std::string_view id) {
  std::string out;
  for (const char c : id) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '/';
    if (keep) {
      out += c;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "_%02X", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out;
}

std::string plural(int n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

std::string chapter_anchor(const std::string& code) { return "chapter:" + case_anchor(code); }

std::string page_header(const Run& run, const Counts& counts) {
  const RunInfo& info = run.info;
  std::string out = "<header>\n<h1>SLM conformance: " + html(runtime_title(info));
  if (!info.runtime_version.empty()) out += " <span class=\"version\">" + html(info.runtime_version) + "</span>";
  out += "</h1>\n<p class=\"meta\">Runtime <code>" + html(info.runtime) + "</code>";
  if (!info.spec_version.empty()) out += " &middot; spec " + html(info.spec_version);
  if (!info.runner_version.empty()) out += " &middot; runner " + html(info.runner_version);
  if (!info.started.empty()) out += " &middot; " + html(info.started);
  if (info.shard) out += " &middot; " + html(shard_note(info));
  out += "</p>\n<ul class=\"pills\">\n<li class=\"pill\">" + plural(counts.total, "case") + "</li>\n";
  const auto pill = [&](const char* css, int n, const char* what) {
    if (n > 0) out += std::string("<li class=\"pill ") + css + "\">" + std::to_string(n) + " " + what + "</li>\n";
  };
  pill("pass", counts.of(Outcome::PASS), "passed");
  pill("fail", counts.failed(), "failed");
  pill("fail", counts.errored(), "errored");
  pill("skip", counts.of(Outcome::SKIPPED), "skipped");
  return out + "</ul>\n</header>\n";
}

// The first case of the chapter that fails `level`: where a red cell sends the reader.
const CaseResult* first_failing(const Chapter& chapter, Level level) {
  for (const CaseResult* result : chapter.results) {
    if (counts_toward(*result, level) && !passed_level(*result, level)) return result;
  }
  return nullptr;
}

std::string matrix_cell(const Chapter& chapter, Level level) {
  const LevelCount count = chapter.counts.of(level);
  if (count.total == 0) return "<td class=\"cell none\">&ndash;</td>";
  const std::string text = std::to_string(count.passed) + "/" + std::to_string(count.total);
  if (count.passed == count.total) {
    return "<td class=\"cell all\"><a href=\"#" + chapter_anchor(chapter.code) + "\">" + text + "</a></td>";
  }
  const CaseResult* failing = first_failing(chapter, level);
  return "<td class=\"cell some\"><a href=\"#" + case_anchor(failing->test->id) + "\">" + text + "</a></td>";
}

std::string matrix(const std::vector<Chapter>& chapters, const std::vector<Level>& levels) {
  std::string out = "<section>\n<h2>Conformance matrix</h2>\n<table class=\"matrix\">\n<thead><tr><th>Chapter</th>"
                    "<th>Cases</th>";
  for (const Level level : levels) {
    out += std::string("<th class=\"cell\">") + level_name(level) + "<small>" + level_title(level) + "</small></th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const Chapter& chapter : chapters) {
    out += "<tr><th><a href=\"#" + chapter_anchor(chapter.code) + "\">" + html(chapter_title(chapter.code)) +
           "</a></th><td class=\"number\">" + std::to_string(chapter.counts.total) + "</td>";
    for (const Level level : levels) out += matrix_cell(chapter, level);
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n<p class=\"legend\">Cells show cases passed/tested at each level."
               "<span class=\"cell all\"></span>all pass<span class=\"cell some\"></span>some fail (links to the "
               "first failure)<span class=\"cell none\"></span>no case</p>\n</section>\n";
}

std::string failures_section(const Run& run) {
  std::string items;
  for (const CaseResult& result : run.results) {
    if (!is_failure(result.outcome)) continue;
    items += "<li><span class=\"badge " + std::string(outcome_name(result.outcome)) + "\">" +
             outcome_name(result.outcome) + "</span> <a href=\"#" + case_anchor(result.test->id) + "\"><code>" +
             html(result.test->id) + "</code></a> " + html(result.reason) + "</li>\n";
  }
  if (items.empty()) return "";
  return "<section id=\"section:failures\">\n<h2>Failures</h2>\n<ul class=\"list\">\n" + items + "</ul>\n</section>\n";
}

std::string skip_list_section(const Run& run) {
  std::string items;
  for (const CaseResult& result : run.results) {
    if (!result.skiplisted) continue;
    items += "<li><a href=\"#" + case_anchor(result.test->id) + "\"><code>" + html(result.test->id) + "</code></a> ";
    items += result.unexpected_pass ? "<span class=\"note\">unexpected pass: remove from the skip list</span>"
                                    : std::string("<span class=\"badge SKIPPED\">") + outcome_name(result.outcome) +
                                          "</span>";
    items += "</li>\n";
  }
  if (items.empty()) return "";
  return "<section id=\"section:skip-list\">\n<h2>Skip list</h2>\n<ul class=\"list\">\n" + items +
         "</ul>\n</section>\n";
}

std::string level_mark(const CaseResult& result, Level level) {
  const auto found = result.levels.find(level);
  if (result.test->level < level || found == result.levels.end() || found->second < 0) {
    return "<td class=\"mark na\">&middot;</td>";
  }
  return found->second == 1 ? "<td class=\"mark yes\">&#10003;</td>" : "<td class=\"mark no\">&#10007;</td>";
}

std::string failure_detail(const CaseResult& result) {
  const auto shown = [](const std::string& text) { return text.empty() ? "<em>nothing</em>" : "<code>" + html(text) + "</code>"; };
  std::string out = "<dl class=\"detail\"><dt>Expected</dt><dd>" + shown(result.expected) + "</dd><dt>Got</dt><dd>" +
                    shown(result.got) + "</dd>";
  if (!result.reason.empty()) out += "<dt>Reason</dt><dd>" + html(result.reason) + "</dd>";
  return out + "</dl>";
}

std::string case_row(const CaseResult& result, const std::vector<Level>& levels) {
  const bool failed = is_failure(result.outcome);
  std::string out = "<tr id=\"" + case_anchor(result.test->id) + "\"" + (failed ? " class=\"failure\"" : "") +
                    "><td><code>" + html(result.test->id) + "</code>";
  if (!result.test->description.empty()) out += "<br><small>" + html(result.test->description) + "</small>";
  if (failed) out += failure_detail(result);
  if (result.unexpected_pass) out += "<br><span class=\"note\">Unexpected pass: remove from the skip list</span>";
  if (!result.stderr_text.empty()) {
    out += std::string(failed ? "<details open>" : "<details>") + "<summary>stderr</summary><pre>" + html(clip_text(result.stderr_text, kMaxStderrBytes)) +
           "</pre></details>";
  }
  out += "</td><td class=\"outcome\"><span class=\"badge " + std::string(outcome_name(result.outcome)) + "\">" +
         outcome_name(result.outcome) + "</span></td>";
  for (const Level level : levels) out += level_mark(result, level);
  char time[32];
  std::snprintf(time, sizeof time, "%.0f ms", result.milliseconds);
  return out + "<td class=\"time\">" + time + "</td></tr>\n";
}

std::string chapter_section(const Chapter& chapter, const std::vector<Level>& levels) {
  const Counts& counts = chapter.counts;
  std::string tally = plural(counts.total, "case") + ", " + std::to_string(counts.of(Outcome::PASS)) + " passed, " +
                      std::to_string(counts.failed()) + " failed";
  if (counts.errored() > 0) tally += ", " + std::to_string(counts.errored()) + " errored";
  if (counts.of(Outcome::SKIPPED) > 0) tally += ", " + std::to_string(counts.of(Outcome::SKIPPED)) + " skipped";
  std::string out = "<section id=\"" + chapter_anchor(chapter.code) + "\">\n<h2>" + html(chapter_title(chapter.code)) +
                    "<small>" + tally + "</small></h2>\n<table class=\"cases\">\n"
                    "<thead><tr><th>Case</th><th class=\"outcome\">Outcome</th>";
  for (const Level level : levels) out += std::string("<th class=\"mark\">") + level_name(level) + "</th>";
  out += "<th class=\"time\">Time</th></tr></thead>\n<tbody>\n";
  for (const CaseResult* result : chapter.results) out += case_row(*result, levels);
  return out + "</tbody>\n</table>\n</section>\n";
}

}  // namespace

std::string index_html(const Run& run) {
  const std::vector<Chapter> chapters = chapters_of(run);
  const std::vector<Level> levels = reported_levels(run);
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>SLM conformance: " +
                    html(runtime_title(run.info)) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n"
                    "<body>\n<main>\n" + page_header(run, count_results(run.results)) + matrix(chapters, levels) +
                    failures_section(run) + skip_list_section(run);
  for (const Chapter& chapter : chapters) out += chapter_section(chapter, levels);
  out += "<footer>Written by the SLM conformance runner";
  if (!run.info.finished.empty()) out += " at " + html(run.info.finished);
  return out + ". Levels: L1 verdict, L2 error code, L3 identity fields and offsets, L4 generation, L5 eval.</footer>\n"
               "</main>\n</body>\n</html>\n";
}

}  // namespace slmconf
