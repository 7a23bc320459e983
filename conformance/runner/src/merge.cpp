// `slm conform merge`: shard report folders back into the report of the whole run. The shards'
// results.jsonl are the record (they keep every field the reports show); the case tree gives each
// result its case, and the report writers of a run write the merged report, so the two cannot differ.
#include <algorithm>
#include <map>

#include "slmconf/cases.h"
#include "slmconf/runner.h"

namespace slmconf {

namespace {

slm::Status refuse(std::string message) {
  return slm::make_error(slm::ErrorCode::E_REPORT_SHARDS, slm::kNoOffset, std::move(message));
}

// Fields every shard of one run shares, with the name a message gives them.
slm::Status check_same_run(const RecordedRun& first, const std::string& first_dir, const RecordedRun& other,
                           const std::string& other_dir) {
  const RunInfo &a = first.info, &b = other.info;
  const std::pair<const char*, bool> same[] = {
      {"runtime", a.runtime == b.runtime},
      {"runtime name and version", a.runtime_name == b.runtime_name && a.runtime_version == b.runtime_version},
      {"capabilities", a.capabilities == b.capabilities},
      {"runner version", a.runner_version == b.runner_version},
      {"spec version", a.spec_version == b.spec_version},
      {"case tree (cases_digest)", a.cases_digest == b.cases_digest},
      {"shard count", a.shard->shard.count == b.shard->shard.count},
      {"selection of cases", a.shard->selected == b.shard->selected && a.shard->selection == b.shard->selection},
  };
  for (const auto& [what, equal] : same) {
    if (!equal) return refuse(other_dir + " and " + first_dir + " are not shards of one run: another " + what);
  }
  return slm::Status::success();
}

}  // namespace

slm::Result<int> merge_reports(const MergeOptions& o, Run& run) {
  if (o.inputs.empty()) return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, "no report folder to merge");
  std::vector<RecordedRun> shards;
  for (const auto& dir : o.inputs) {
    auto read = read_results(dir);
    if (!read.ok()) return read.status();
    if (!read->info.shard) return refuse(dir + " holds a whole run, not a shard (run with --shard K/N)");
    shards.push_back(std::move(read.value()));
  }
  for (std::size_t i = 1; i < shards.size(); ++i) {
    if (auto s = check_same_run(shards[0], o.inputs[0], shards[i], o.inputs[i]); !s.ok()) return s;
  }
  // Each of shards 1..N exactly once.
  const std::uint32_t count = shards[0].info.shard->shard.count;
  std::map<std::uint32_t, std::size_t> by_index;  // shard index -> position in o.inputs
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const std::uint32_t index = shards[i].info.shard->shard.index;
    if (index < 1 || index > count) return refuse(o.inputs[i] + ": shard " + std::to_string(index) + " of " + std::to_string(count));
    if (const auto [at, fresh] = by_index.emplace(index, i); !fresh) {
      return refuse(o.inputs[i] + " and " + o.inputs[at->second] + " are both shard " + std::to_string(index) + "/" +
                    std::to_string(count));
    }
  }
  std::string missing;
  for (std::uint32_t k = 1; k <= count; ++k) {
    if (!by_index.contains(k)) missing += (missing.empty() ? "" : ", ") + std::to_string(k) + "/" + std::to_string(count);
  }
  if (!missing.empty()) return refuse("shard " + missing + " missing (every shard of the run must be given once)");

  // The case tree the shards ran, loaded as a run loads it.
  auto loaded = load_cases(o.cases_dir, o.cache_dir);
  if (!loaded.ok()) return loaded.status();
  run.cases = std::move(loaded.value());
  auto digest = case_tree_digest(o.cases_dir, run.cases);
  if (!digest.ok()) return digest.status();
  if (digest.value() != shards[0].info.cases_digest) {
    return refuse(o.cases_dir + " is not the case tree the shards ran (cases_digest differs)");
  }
  std::map<std::string, const Case*> by_id;
  for (const Case& c : run.cases) by_id.emplace(c.id, &c);

  // Case i of the whole selection ran in shard i mod N + 1, as its (i div N)-th case.
  const std::uint64_t selected = shards[0].info.shard->selected;
  for (std::uint32_t k = 1; k <= count; ++k) {
    const RecordedRun& shard = shards[by_index[k]];
    const std::uint64_t expected = selected / count + (k - 1 < selected % count ? 1 : 0);
    if (shard.results.size() != expected) {
      return refuse(o.inputs[by_index[k]] + ": shard " + std::to_string(k) + "/" + std::to_string(count) + " holds " +
                    std::to_string(shard.results.size()) + " cases, not " + std::to_string(expected) +
                    " (a truncated or --fail-fast run)");
    }
  }
  std::vector<std::string> ids;
  for (std::uint64_t i = 0; i < selected; ++i) {
    const std::size_t input = by_index[static_cast<std::uint32_t>(i % count) + 1];
    const RecordedRun& shard = shards[input];
    const std::size_t at = i / count;
    const auto c = by_id.find(shard.ids[at]);
    if (c == by_id.end()) return refuse(o.inputs[input] + ": case " + shard.ids[at] + " is not in " + o.cases_dir);
    CaseResult result = shard.results[at];
    result.test = c->second;
    run.results.push_back(std::move(result));
    ids.push_back(shard.ids[at]);
  }
  if (case_ids_digest(ids) != shards[0].info.shard->selection) {
    return refuse("the shards' cases, interleaved, are not the selection they record");
  }

  // The header of a whole run: the shards' own, started at the first start, finished at the last.
  run.info = shards[0].info;
  run.info.shard.reset();
  for (const RecordedRun& shard : shards) {
    run.info.started = std::min(run.info.started, shard.info.started);
    run.info.finished = std::max(run.info.finished, shard.info.finished);
  }
  const Counts counts = count_results(run.results);
  run.info.exit_status = run_passes(counts, std::nullopt) ? 0 : 1;
  std::vector<std::string> inputs;
  for (const auto& dir : o.inputs) {
    for (const char* name : {"results.jsonl", "summary.md", "index.html", "junit.xml"}) inputs.push_back(dir + "/" + name);
  }
  if (auto s = write_reports(run, o.output, inputs); !s.ok()) return s;
  run.info.report_dir = o.output;
  return run_passes(counts, o.required) ? 0 : 1;
}

}  // namespace slmconf
