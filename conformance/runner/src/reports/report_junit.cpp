// junit.xml: the de facto JUnit format CI systems read (testsuites > testsuite > testcase), one
// testsuite per spec chapter so CI groups cases the way the spec does.
#include <charconv>
#include <string>

#include "slmconf/results.h"

namespace slmconf {
namespace {

constexpr std::size_t kMaxStderrBytes = 64 * 1024;

// Escapes for text and attributes alike; tab, newline and carriage return become character
// references so attribute values keep them. printable_utf8 already removed what XML 1.0 forbids.
std::string xml(std::string_view raw) {
  std::string out;
  for (const char c : printable_utf8(raw)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t': out += "&#9;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
  return out;
}

// Locale-independent, as JUnit readers expect "1.234".
std::string seconds(double milliseconds) {
  char text[64];
  const auto [end, error] = std::to_chars(text, text + sizeof text, milliseconds / 1000.0, std::chars_format::fixed, 3);
  return error == std::errc() ? std::string(text, end) : "0";
}

double total_milliseconds(const std::vector<const CaseResult*>& results) {
  double sum = 0;
  for (const CaseResult* result : results) sum += result->milliseconds;
  return sum;
}

std::string count_attributes(const Counts& counts, double milliseconds) {
  const int errors = counts.of(Outcome::ERRORED) + counts.of(Outcome::TIMEOUT) + counts.of(Outcome::CRASH);
  const int failures = counts.of(Outcome::FAIL) + counts.of(Outcome::GARBAGE);
  return " tests=\"" + std::to_string(counts.total) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
         std::to_string(errors) + "\" skipped=\"" + std::to_string(counts.of(Outcome::SKIPPED)) + "\" time=\"" +
         seconds(milliseconds) + "\"";
}

// FAIL and GARBAGE are the runtime answering wrongly (<failure>); ERRORED, TIMEOUT and CRASH are
// the runtime not answering (<error>).
std::string verdict_element(const CaseResult& result) {
  const std::string kind = outcome_name(result.outcome);
  const std::string body = xml("expected: " + result.expected + "\ngot: " + result.got + "\n" + result.reason);
  switch (result.outcome) {
    case Outcome::PASS: return "";
    case Outcome::SKIPPED: return "      <skipped message=\"" + xml(result.reason) + "\"/>\n";
    case Outcome::FAIL:
    case Outcome::GARBAGE:
      return "      <failure message=\"" + xml(result.reason) + "\" type=\"" + kind + "\">" + body + "</failure>\n";
    case Outcome::ERRORED:
    case Outcome::TIMEOUT:
    case Outcome::CRASH:
      return "      <error message=\"" + xml(result.reason) + "\" type=\"" + kind + "\">" + body + "</error>\n";
  }
  return "";
}

std::string testcase(const CaseResult& result, const std::string& chapter) {
  // The level the case tests (L1-L5), as a testcase property, so a CI view can group by level.
  std::string children = std::string("      <properties><property name=\"level\" value=\"") + level_name(result.test->level) +
                         "\"/></properties>\n";
  children += verdict_element(result);
  if (result.unexpected_pass) children += "      <system-out>unexpected pass: remove from the skip list</system-out>\n";
  if (!result.stderr_text.empty()) {
    children += "      <system-err>" + xml(clip_text(result.stderr_text, kMaxStderrBytes)) + "</system-err>\n";
  }
  const std::string start = "    <testcase name=\"" + xml(result.test->id) + "\" classname=\"slm." + xml(chapter) +
                            "\" time=\"" + seconds(result.milliseconds) + "\"";
  return children.empty() ? start + "/>\n" : start + ">\n" + children + "    </testcase>\n";
}

std::string testsuite(const Chapter& chapter, const RunInfo& info) {
  std::string out = "  <testsuite name=\"slm." + xml(chapter.code) + "\"" +
                    count_attributes(chapter.counts, total_milliseconds(chapter.results));
  if (!info.started.empty()) out += " timestamp=\"" + xml(info.started) + "\"";
  out += ">\n    <properties>\n";
  out += "      <property name=\"chapter\" value=\"" + xml(chapter_title(chapter.code)) + "\"/>\n";
  out += "      <property name=\"runtime\" value=\"" + xml(info.runtime) + "\"/>\n";
  out += "      <property name=\"runtime_name\" value=\"" + xml(info.runtime_name) + "\"/>\n";
  out += "      <property name=\"runtime_version\" value=\"" + xml(info.runtime_version) + "\"/>\n";
  out += "      <property name=\"spec_version\" value=\"" + xml(info.spec_version) + "\"/>\n";
  out += "    </properties>\n";
  for (const CaseResult* result : chapter.results) out += testcase(*result, chapter.code);
  return out + "  </testsuite>\n";
}

}  // namespace

std::string junit_xml(const Run& run) {
  double milliseconds = 0;
  for (const CaseResult& result : run.results) milliseconds += result.milliseconds;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"SLM conformance: " +
                    xml(runtime_title(run.info)) + "\"" +
                    count_attributes(count_results(run.results), milliseconds) + ">\n";
  for (const Chapter& chapter : chapters_of(run)) out += testsuite(chapter, run.info);
  return out + "</testsuites>\n";
}

}  // namespace slmconf
