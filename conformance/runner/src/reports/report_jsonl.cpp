// results.jsonl: a header line, one line per case, a footer line. A reader that finds no footer
// knows the run was cut short.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>

#include "slmconf/results.h"

namespace slmconf {
namespace {

using Json = nlohmann::ordered_json;  // keeps "type" first, as people read these lines too

constexpr int kFormatVersion = 1;
constexpr std::size_t kMaxStderrBytes = 4096;

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Runtimes may write any bytes to stderr; invalid UTF-8 becomes U+FFFD rather than an exception.
std::string line(const Json& object) {
  return object.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json header_json(const RunInfo& info) {
  return {{"type", "header"},
          {"format", "slm-conform-results"},
          {"format_version", kFormatVersion},
          {"runner_version", info.runner_version},
          {"runtime", info.runtime},
          {"runtime_name", info.runtime_name},
          {"runtime_version", info.runtime_version},
          {"capabilities", info.capabilities},
          {"cases_dir", info.cases_dir},
          {"spec_version", info.spec_version},
          {"started", info.started}};
}

// Levels above the case's own are left out; a level without a comparable answer is null.
Json levels_json(const CaseResult& result) {
  Json levels = Json::object();
  for (int k = 1; k <= static_cast<int>(result.test->level); ++k) {
    const auto level = static_cast<Level>(k);
    const auto found = result.levels.find(level);
    const int value = found == result.levels.end() ? -1 : found->second;
    levels[level_name(level)] = value < 0 ? Json(nullptr) : Json(value == 1);
  }
  return levels;
}

Json case_json(const CaseResult& result) {
  return {{"type", "case"},
          {"id", result.test->id},
          {"outcome", lower(outcome_name(result.outcome))},
          {"levels", levels_json(result)},
          {"expected", result.expected},
          {"got", result.got},
          {"reason", result.reason},
          {"skiplisted", result.skiplisted},
          {"unexpected_pass", result.unexpected_pass},
          {"rules", result.test->rules},
          {"tags", result.test->tags},
          {"milliseconds", result.milliseconds},
          {"stderr", clip_text(result.stderr_text, kMaxStderrBytes)}};
}

Json footer_json(const Run& run) {
  const Counts counts = count_results(run.results);
  Json outcome_counts = {{"total", counts.total}};
  for (const Outcome outcome : kAllOutcomes) outcome_counts[lower(outcome_name(outcome))] = counts.of(outcome);
  Json per_level = Json::object();
  for (const Level level : kAllLevels) {
    const LevelCount count = counts.of(level);
    per_level[level_name(level)] = {{"passed", count.passed}, {"total", count.total}};
  }
  return {{"type", "footer"},
          {"finished", run.info.finished},
          {"exit_status", run.info.exit_status},
          {"counts", outcome_counts},
          {"per_level", per_level}};
}

}  // namespace

std::string results_jsonl(const Run& run) {
  std::string text = line(header_json(run.info));
  for (const CaseResult& result : run.results) text += line(case_json(result));
  return text + line(footer_json(run));
}

}  // namespace slmconf

namespace slmconf {

slm::Result<std::vector<std::string>> read_unpassed_ids(const std::string& dir) {
  const std::string path = dir + "/results.jsonl";
  const auto malformed = [&](const std::string& what) {
    return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, path + ": " + what);
  };
  std::ifstream in(path);
  if (!in) return slm::make_error(slm::ErrorCode::E_IO_READ, slm::kNoOffset, "cannot read " + path);
  std::vector<std::string> out;
  bool footer = false;
  for (std::string text; std::getline(in, text);) {
    if (text.size() > (1u << 20)) return malformed("a line longer than 1 MiB");
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) return malformed("a line that is not a result");
    const std::string type = j["type"].get<std::string>();
    if (type == "footer") footer = true;
    if (type != "case") continue;
    if (!j.contains("id") || !j["id"].is_string() || !j.contains("outcome") || !j["outcome"].is_string()) {
      return malformed("a case line without id or outcome");
    }
    const std::string outcome = j["outcome"].get<std::string>();
    if (outcome != "pass" && outcome != "skipped") out.push_back(j["id"].get<std::string>());
  }
  if (!footer) return malformed("no footer (a truncated run); rerun it whole");
  return out;
}

}  // namespace slmconf
