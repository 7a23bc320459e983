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

slm::Result<std::string> read_text(const std::string& path) {
  auto bytes = slm::read_file_bytes(path);
  if (!bytes.ok()) return bytes.status();
  return std::string(bytes->begin(), bytes->end());
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
  if (args.sets.size() > 1 && !args.baseline.empty()) {
    return refuse("eval", slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, "--baseline goes with one set"));
  }
  std::vector<slmeval::EvalSet> sets;
  for (const auto& path : args.sets) {
    auto set = slmeval::read_set(path);
    if (!set.ok()) return report_failure("eval", path, set.status());
    sets.push_back(std::move(set.value()));
  }
  std::optional<slmeval::Baseline> baseline;
  if (!args.baseline.empty()) {
    auto text = read_text(args.baseline);
    if (!text.ok()) return report_failure("eval", args.baseline, text.status());
    auto view = slmeval::parse_sidecar(text.value());
    if (!view.ok()) return report_failure("eval", args.baseline, view.status());
    baseline = view->as_baseline;
  }
  // Every output declared before any work: one sidecar per set (SLM-TOOL-001..005).
  slm::OutputSet out;
  out.input(args.model);
  for (const auto& p : args.sets) out.input(p);
  for (const auto& p : args.adapters) out.input(p);
  if (!args.baseline.empty()) out.input(args.baseline);
  if (!args.policy.empty()) out.input(args.policy);
  std::vector<slm::OutputSet::Id> ids;
  for (const auto& s : sets) {
    ids.push_back(out.output(sets.size() == 1 ? args.output
                                              : (std::filesystem::path(args.output) / (s.name + ".sidecar.json")).string()));
  }
  if (auto s = out.prepare(); !s.ok()) return refuse("eval", s);
  std::string failed_file;
  auto loaded = load_with_adapters(args.model, args.adapters, failed_file);
  if (!loaded.ok()) return report_failure("eval", failed_file, loaded.status());
  std::vector<slm::Digest256> adapter_digests;
  if (loaded->lineage) {
    for (const auto& step : loaded->lineage->steps) adapter_digests.push_back(step.adapter_digest);
  }
  bool all_passed = true;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    slmeval::Policy policy;
    if (!args.policy.empty()) {
      auto text = read_text(args.policy);
      if (!text.ok()) return report_failure("eval", args.policy, text.status());
      auto p = slmeval::parse_policy(text.value(), sets[i]);
      if (!p.ok()) return report_failure("eval", args.policy, p.status());
      policy = p.value();
    }
    const bool show = args.progress && isatty(STDERR_FILENO);
    auto evidence = slmeval::run_eval(loaded->model, sets[i], policy, baseline, show ? progress : nullptr);
    if (!evidence.ok()) return report_failure("eval", args.sets[i], evidence.status());
    evidence->adapters = adapter_digests;
    evidence->lineage = loaded->lineage;
    if (auto s = out.write(ids[i], slmeval::sidecar_text(evidence.value(), "slm", "reference")); !s.ok()) return refuse("eval", s);
    const auto& e = evidence.value();
    std::size_t passed = 0;
    for (const auto& r : e.results) passed += r.passed ? 1 : 0;
    if (!args.json) {
      std::cout << sets[i].name << ": " << passed << "/" << e.results.size() << " passed, " << verdict_line(e.gate) << "\n";
      for (const auto& r : e.results) {
        if (!r.passed) std::cout << "  failed " << r.id << " (" << slmeval::stop_reason_name(r.stop) << ")\n";
      }
    }
    all_passed = all_passed && e.gate.passed;
  }
  if (auto s = out.commit(); !s.ok()) return refuse("eval", s);
  if (args.json) {
    for (std::size_t i = 0; i < sets.size(); ++i) std::cout << out.path(ids[i]) << "\n";
  } else {
    for (std::size_t i = 0; i < sets.size(); ++i) std::cout << "sidecar: " << out.path(ids[i]) << "\n";
  }
  return all_passed ? kExitOk : kExitRejected;
}

int run_gate(const GateArgs& args) {
  auto text = read_text(args.sidecar);
  if (!text.ok()) return report_failure("gate", args.sidecar, text.status());
  std::optional<std::string> policy;
  if (!args.policy.empty()) {
    auto p = read_text(args.policy);
    if (!p.ok()) return report_failure("gate", args.policy, p.status());
    policy = p.value();
  }
  std::optional<slmeval::Baseline> baseline;
  if (!args.baseline.empty()) {
    auto b = read_text(args.baseline);
    if (!b.ok()) return report_failure("gate", args.baseline, b.status());
    auto view = slmeval::parse_sidecar(b.value());
    if (!view.ok()) return report_failure("gate", args.baseline, view.status());
    baseline = view->as_baseline;
  }
  auto verdict = slmeval::regate(text.value(), policy ? std::optional<std::string_view>(*policy) : std::nullopt, baseline);
  if (!verdict.ok()) return report_failure("gate", args.sidecar, verdict.status());
  std::cout << args.sidecar << ": " << verdict_line(verdict.value()) << "\n";
  return verdict->passed ? kExitOk : kExitRejected;
}

int run_scorecard(const ScorecardArgs& args) {
  std::vector<slmeval::SidecarView> views;
  for (const auto& path : args.sidecars) {
    auto text = read_text(path);
    if (!text.ok()) return report_failure("scorecard", path, text.status());
    auto view = slmeval::parse_sidecar(text.value());
    if (!view.ok()) return report_failure("scorecard", path, view.status());
    views.push_back(std::move(view.value()));
  }
  const std::filesystem::path json_path(args.output);
  std::filesystem::path md_path = json_path;
  md_path.replace_extension(".md");
  slm::OutputSet out;
  for (const auto& p : args.sidecars) out.input(p);
  const auto json_id = out.output(json_path.string());
  const auto md_id = out.output(md_path.string());
  if (auto s = out.prepare(); !s.ok()) return refuse("scorecard", s);
  if (auto s = out.write(json_id, slmeval::scorecard_json(views)); !s.ok()) return refuse("scorecard", s);
  const std::string md = slmeval::scorecard_markdown(views);
  if (auto s = out.write(md_id, md); !s.ok()) return refuse("scorecard", s);
  if (auto s = out.commit(); !s.ok()) return refuse("scorecard", s);
  std::cout << md;
  return kExitOk;
}

}  // namespace slmcli
