// results.jsonl: a header line, one line per case, a footer line. A reader that finds no footer
// knows the run was cut short.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>

#include "slmconf/json_fields.h"
#include "slmconf/results.h"

namespace slmconf {
namespace {

using Json = nlohmann::ordered_json;  // keeps "type" first, as people read these lines too

constexpr int kFormatVersion = 1;

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Runtimes may write any bytes to stderr; invalid UTF-8 becomes U+FFFD rather than an exception.
std::string line(const Json& object) {
  return object.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json header_json(const RunInfo& info) {
  Json header = {{"type", "header"},
          {"format", "slm-conform-results"},
          {"format_version", kFormatVersion},
          {"runner_version", info.runner_version},
          {"runtime", info.runtime},
          {"runtime_name", info.runtime_name},
          {"runtime_version", info.runtime_version},
          {"capabilities", info.capabilities},
          {"cases_dir", info.cases_dir},
          {"cases_digest", info.cases_digest},
          {"spec_version", info.spec_version},
          {"started", info.started}};
  if (info.shard) {
    header["shard"] = {{"index", info.shard->shard.index},
                       {"count", info.shard->shard.count},
                       {"selected", info.shard->selected},
                       {"selection", info.shard->selection}};
  }
  return header;
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
          {"stderr", result.stderr_text}};  // clipped when recorded: kept whole here
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

namespace {

using Reader = nlohmann::json;

bool read_strings(const Reader& j, const char* key, std::vector<std::string>& out) {
  if (!j.contains(key)) return true;
  if (!j[key].is_array()) return false;
  for (const auto& item : j[key]) {
    if (!item.is_string()) return false;
    out.push_back(item.get<std::string>());
  }
  return true;
}

bool read_header(const Reader& j, RunInfo& info) {
  if (!read_string(j, "runner_version", info.runner_version) || !read_string(j, "runtime", info.runtime) ||
      !read_string(j, "runtime_name", info.runtime_name) || !read_string(j, "runtime_version", info.runtime_version) ||
      !read_strings(j, "capabilities", info.capabilities) || !read_string(j, "cases_dir", info.cases_dir) ||
      !read_string(j, "cases_digest", info.cases_digest) || !read_string(j, "spec_version", info.spec_version) ||
      !read_string(j, "started", info.started)) {
    return false;
  }
  if (!j.contains("format") || j["format"] != "slm-conform-results" || !j.contains("format_version") ||
      j["format_version"] != kFormatVersion) {
    return false;
  }
  if (!j.contains("shard")) return true;
  const Reader& s = j["shard"];
  ShardInfo shard;
  if (!s.is_object() || !s.contains("index") || !s.contains("count") || !read_u32(s, "index", shard.shard.index) ||
      !read_u32(s, "count", shard.shard.count) || !read_u64(s, "selected", shard.selected) ||
      !read_string(s, "selection", shard.selection)) {
    return false;
  }
  info.shard = shard;
  return true;
}

// The inverse of case_json: levels up to the case's own (null: no comparable answer).
bool read_case(const Reader& j, std::string& id, CaseResult& r) {
  std::string outcome;
  if (!j.contains("id") || !read_string(j, "id", id) || !j.contains("outcome") || !read_string(j, "outcome", outcome)) {
    return false;
  }
  const auto parsed = parse_outcome(outcome);
  if (!parsed) return false;
  r.outcome = *parsed;
  if (!j.contains("levels") || !j["levels"].is_object()) return false;
  for (const auto& [name, value] : j["levels"].items()) {
    Level level{};
    if (!parse_level(name, level) || !(value.is_null() || value.is_boolean())) return false;
    r.levels[level] = value.is_null() ? -1 : value.get<bool>() ? 1 : 0;
  }
  if (!j.contains("milliseconds") || !j["milliseconds"].is_number()) return false;
  r.milliseconds = j["milliseconds"].get<double>();
  return read_string(j, "expected", r.expected) && read_string(j, "got", r.got) && read_string(j, "reason", r.reason) &&
         read_bool(j, "skiplisted", r.skiplisted) && read_bool(j, "unexpected_pass", r.unexpected_pass) &&
         read_string(j, "stderr", r.stderr_text);
}

}  // namespace

slm::Result<RecordedRun> read_results(const std::string& dir) {
  const std::string path = dir + "/results.jsonl";
  std::ifstream in(path);
  if (!in) return slm::make_error(slm::ErrorCode::E_IO_READ, slm::kNoOffset, "cannot read " + path);
  RecordedRun run;
  std::size_t number = 0;
  bool header = false, footer = false;
  for (std::string text; std::getline(in, text);) {
    ++number;
    const auto malformed = [&](const std::string& what) {
      return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, path + ": line " + std::to_string(number) + ": " + what);
    };
    if (footer) return malformed("a line after the footer");
    if (text.size() > (1u << 20)) return malformed("longer than 1 MiB");  // none the writer writes is
    const Reader j = Reader::parse(text, nullptr, false);
    std::string type;
    if (j.is_discarded() || !j.is_object() || !j.contains("type") || !read_string(j, "type", type)) {
      return malformed("not a result line");
    }
    if ((number == 1) != (type == "header")) return malformed("the header must be the first line, and only it");
    if (type == "header") {
      if (!read_header(j, run.info)) return malformed("a header of another format or version, or a field of the wrong type");
      header = true;
    } else if (type == "case") {
      std::string id;
      CaseResult result;
      if (!read_case(j, id, result)) return malformed("a case line with a missing field or one of the wrong type");
      run.ids.push_back(std::move(id));
      run.results.push_back(std::move(result));
    } else if (type == "footer") {
      if (!read_string(j, "finished", run.info.finished)) return malformed("a footer without its finish time");
      footer = true;
    } else {
      return malformed("unknown line type '" + type + "'");
    }
  }
  if (!header || !footer) {
    return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, path + ": no footer (a truncated run)");
  }
  return run;
}

slm::Result<std::vector<std::string>> read_unpassed_ids(const std::string& dir) {
  auto run = read_results(dir);
  if (!run.ok()) return run.status();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < run->results.size(); ++i) {
    if (is_failure(run->results[i].outcome)) out.push_back(run->ids[i]);
  }
  return out;
}

}  // namespace slmconf
