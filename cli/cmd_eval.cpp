// slm eval / slm gate / slm scorecard (spec/eval.md)
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "commands.h"
#include "report.h"
#include "slm/output_set.h"
#include "slm/sha256.h"
#include "slmeval/eval.h"

namespace slmcli {

namespace {

slm::Result<std::string> read_policy(const std::string& path) {
  return slmeval::read_bounded(path, slmeval::kMaxPolicyBytes, slm::ErrorCode::E_EVAL_POLICY);
}

slm::Result<std::string> read_sidecar(const std::string& path) {
  return slmeval::read_bounded(path, slmeval::kMaxSidecarBytes, slm::ErrorCode::E_EVAL_SIDECAR);
}

void progress(std::size_t done, std::size_t total) {
  std::cerr << "\r  eval: " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
}

std::string verdict_line(const slmeval::Verdict& v) {
  std::string s = v.passed ? "gate passed" : "gate FAILED";
  for (std::size_t i = 0; i < v.reasons.size(); ++i) s += (i ? "; " : ": ") + v.reasons[i];
  return s;
}

}  // namespace

int run_eval(const EvalArgs& args) {
  if (args.output.empty()) return refuse("eval", slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, "-o must name a file or directory"));
  if (args.sets.size() > 1 && !args.baseline.empty()) {
    return refuse("eval", slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, "--baseline goes with one set"));
  }
  // Every output declared and checked before any input is read (tools.md 2): one sidecar, or with
  // several sets DIR/STEM.sidecar.json, STEM the set file's name without its extension.
  slm::OutputSet out;
  out.input(args.model);
  for (const auto& p : args.sets) out.input(p);
  for (const auto& p : args.adapters) out.input(p);
  if (!args.baseline.empty()) out.input(args.baseline);
  if (!args.policy.empty()) out.input(args.policy);
  std::vector<slm::OutputSet::Id> ids;
  for (const auto& path : args.sets) {
    ids.push_back(out.output(args.sets.size() == 1
                                 ? args.output
                                 : (std::filesystem::path(args.output) / (std::filesystem::path(path).stem().string() + ".sidecar.json")).string()));
  }
  if (auto s = out.prepare(); !s.ok()) return refuse("eval", s);
  std::vector<slmeval::EvalSet> sets;
  for (const auto& path : args.sets) {
    auto set = slmeval::read_set(path);
    if (!set.ok()) return report_failure("eval", path, set.status());
    sets.push_back(std::move(set.value()));
  }
  std::vector<slmeval::Policy> policies(sets.size());  // each set's policy, all checked before any run
  if (!args.policy.empty()) {
    auto text = read_policy(args.policy);
    if (!text.ok()) return report_failure("eval", args.policy, text.status());
    for (std::size_t i = 0; i < sets.size(); ++i) {
      auto p = slmeval::parse_policy(text.value(), sets[i]);
      if (!p.ok()) return report_failure("eval", args.policy, p.status());
      policies[i] = p.value();
    }
  }
  std::optional<slmeval::Baseline> baseline;
  if (!args.baseline.empty()) {
    auto text = read_sidecar(args.baseline);
    if (!text.ok()) return report_failure("eval", args.baseline, text.status());
    auto view = slmeval::parse_sidecar(text.value());
    if (!view.ok()) return report_failure("eval", args.baseline, view.status());
    baseline = view->as_baseline;  // its set is checked by run_eval (E_EVAL_BASELINE)
  }
  std::string failed_file;
  auto loaded = load_with_adapters(args.model, args.adapters, failed_file);
  if (!loaded.ok()) return report_failure("eval", failed_file, loaded.status());
  bool all_passed = true;
  std::vector<std::string> summaries;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const bool show = args.progress && isatty(STDERR_FILENO);
    auto evidence = slmeval::run_eval(loaded->model, loaded->lineage, sets[i], policies[i], baseline, show ? progress : nullptr,
                                      args.threads);
    if (!evidence.ok()) {
      const bool baseline_at_fault = evidence.status().code == slm::ErrorCode::E_EVAL_BASELINE;
      return report_failure("eval", baseline_at_fault ? args.baseline : args.sets[i], evidence.status());
    }
    if (auto s = out.write(ids[i], slmeval::sidecar_text(evidence.value(), "slm", "reference")); !s.ok()) return refuse("eval", s);
    const auto& e = evidence.value();
    std::size_t passed = 0;
    for (const auto& r : e.results) passed += r.passed ? 1 : 0;
    std::string summary = sets[i].name + ": " + std::to_string(passed) + "/" + std::to_string(e.results.size()) + " passed, " +
                          verdict_line(e.gate) + "\n";
    for (const auto& r : e.results) {
      if (!r.passed) summary += "  failed " + r.id + " (" + std::string(slmeval::stop_reason_name(r.stop)) + ")\n";
    }
    summaries.push_back(summary);
    all_passed = all_passed && e.gate.passed;
  }
  // The sidecars are the evidence whatever the verdict: written, then exit 1 if a gate failed.
  if (auto s = out.commit(); !s.ok()) return refuse("eval", s);
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (args.json) {
      std::cout << out.path(ids[i]) << "\n";
    } else {
      std::cout << summaries[i] << "sidecar: " << out.path(ids[i]) << "\n";
    }
  }
  return all_passed ? kExitOk : kExitRejected;
}

int run_gate(const GateArgs& args) {
  auto text = read_sidecar(args.sidecar);
  if (!text.ok()) return report_failure("gate", args.sidecar, text.status());
  std::optional<std::string> policy;
  if (!args.policy.empty()) {
    auto p = read_policy(args.policy);
    if (!p.ok()) return report_failure("gate", args.policy, p.status());
    policy = p.value();
  }
  std::optional<slmeval::Baseline> baseline;
  if (!args.baseline.empty()) {
    auto b = read_sidecar(args.baseline);
    if (!b.ok()) return report_failure("gate", args.baseline, b.status());
    auto view = slmeval::parse_sidecar(b.value());
    if (!view.ok()) return report_failure("gate", args.baseline, view.status());
    baseline = view->as_baseline;
  }
  auto verdict = slmeval::regate(text.value(), policy ? std::optional<std::string_view>(*policy) : std::nullopt, baseline);
  if (!verdict.ok()) {  // name the file at fault
    const auto code = verdict.status().code;
    const std::string& file = code == slm::ErrorCode::E_EVAL_POLICY && !args.policy.empty()       ? args.policy
                              : code == slm::ErrorCode::E_EVAL_BASELINE && !args.baseline.empty() ? args.baseline
                                                                                                  : args.sidecar;
    return report_failure("gate", file, verdict.status());
  }
  std::cout << args.sidecar << ": " << verdict_line(verdict.value()) << "\n";
  return verdict->passed ? kExitOk : kExitRejected;
}

int run_scorecard(const ScorecardArgs& args) {
  const std::filesystem::path json_path(args.output);
  std::filesystem::path md_path = json_path;
  md_path.replace_extension(".md");
  slm::OutputSet out;  // declared and checked before any sidecar is read (tools.md 2)
  for (const auto& p : args.sidecars) out.input(p);
  const auto json_id = out.output(json_path.string());
  const auto md_id = out.output(md_path.string());
  if (auto s = out.prepare(); !s.ok()) return refuse("scorecard", s);
  std::vector<slmeval::SidecarView> views;
  for (const auto& path : args.sidecars) {
    auto text = read_sidecar(path);
    if (!text.ok()) return report_failure("scorecard", path, text.status());
    auto view = slmeval::parse_sidecar(text.value());
    if (!view.ok()) return report_failure("scorecard", path, view.status());
    views.push_back(std::move(view.value()));
  }
  if (auto s = out.write(json_id, slmeval::scorecard_json(views)); !s.ok()) return refuse("scorecard", s);
  const std::string md = slmeval::scorecard_markdown(views);
  if (auto s = out.write(md_id, md); !s.ok()) return refuse("scorecard", s);
  if (auto s = out.commit(); !s.ok()) return refuse("scorecard", s);
  std::cout << md;
  return kExitOk;
}

}  // namespace slmcli
