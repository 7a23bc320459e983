// Evaluation evidence (spec/eval.md): frozen exact-match eval sets, running them on a model, the
// gate, the sidecar and the scorecard. No JSON library in this header: sidecars cross it as text.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slm/adapter.h"
#include "slm/errors.h"
#include "slm/format.h"
#include "slm/model_file.h"

namespace slmeval {

enum class Match { EXACT, TRIM };

// The *param* fields of a case (eval.md 1), resolved from the case, its set's defaults, the table.
struct Params {
  std::uint32_t max_tokens = 32;
  float temperature = 0.0f, top_p = 1.0f;
  std::uint32_t top_k = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> stop;
  Match match = Match::EXACT;
};

struct EvalCase {
  std::string id, prompt, expected;
  bool must_pass = false;
  std::vector<std::string> tags;
  Params params;
  std::string digest;  // RT-EVAL-001, 64 hex
};

struct EvalSet {
  std::string name, description;
  std::vector<EvalCase> cases;
  std::string digest;  // RT-EVAL-001, 64 hex
};

// A whole file of at most max_bytes, its size checked before anything is read: `too_large` with
// offset 0 beyond it; E_IO_READ for a file that cannot be read (a directory, a FIFO, missing).
[[nodiscard]] slm::Result<std::string> read_bounded(const std::string& path, std::uint64_t max_bytes, slm::ErrorCode too_large);
inline constexpr std::uint64_t kMaxPolicyBytes = 1ull << 20, kMaxSidecarBytes = 256ull << 20;

// SLM-EVAL-001: E_EVAL_SET with the line number in the message and its first byte as the offset.
[[nodiscard]] slm::Result<EvalSet> parse_set(std::string_view text);
[[nodiscard]] slm::Result<EvalSet> read_set(const std::string& path);

struct Policy {
  std::uint32_t min_pass_percent = 100;
  std::vector<std::string> must_pass;
  bool no_regression = true;
  std::optional<std::uint64_t> max_model_bytes, max_kv_cache_bytes, max_scratch_bytes;
};

// SLM-EVAL-002: E_EVAL_POLICY (also for a must_pass id the set lacks).
[[nodiscard]] slm::Result<Policy> parse_policy(std::string_view text, const EvalSet& set);

enum class StopReason { EOS, MAX_TOKENS, CONTEXT, STOP, PROMPT_TOO_LONG };
std::string_view stop_reason_name(StopReason reason);

struct CaseResult {
  std::string id, case_digest;
  std::string output;  // bytes; written as output_hex when not UTF-8
  std::vector<std::uint32_t> tokens;
  StopReason stop = StopReason::MAX_TOKENS;
  bool passed = false;
  float min_margin = 0;  // measured part: diagnostics only
};

struct Resources {
  std::uint64_t model_bytes = 0, kv_cache_bytes = 0, scratch_bytes = 0;
};
Resources resources_of(const slm::ModelInfo& model);  // RT-EVAL-004

struct Verdict {
  bool passed = true;
  std::vector<std::string> reasons;
};

// What a gate needs of a baseline: its set, its digest and which cases passed.
struct Baseline {
  std::string set_digest, reproducible_digest;
  std::vector<std::pair<std::string, bool>> passed;  // (id, passed) in file order
};

// RT-EVAL-005.
Verdict judge_gate(const EvalSet& set, const std::vector<CaseResult>& results, const Resources& resources,
                   const Policy& policy, const Baseline* baseline);

struct Evidence {
  slm::Identity identity;
  std::vector<slm::Digest256> adapters;
  std::optional<slm::Lineage> lineage;
  EvalSet set;
  Policy policy;
  std::optional<Baseline> baseline;
  std::vector<CaseResult> results;
  Resources resources;
  Verdict gate;
  // measured
  double seconds = 0;
  std::uint64_t generated_tokens = 0;
};

// RT-EVAL-002/003: runs every case on `model`, the descendant of the stack `lineage` names when
// adapters were applied (its adapters' digests and lineage go into the evidence). E_EVAL_BASELINE
// when the baseline ran another set. threads: the forward pass's (slm::GenerateRequest::threads;
// 0 = every core); the evidence is the same for any count.
[[nodiscard]] slm::Result<Evidence> run_eval(std::shared_ptr<const slm::LoadedModel> model,
                                             const std::optional<slm::Lineage>& lineage, const EvalSet& set,
                                             const Policy& policy, const std::optional<Baseline>& baseline,
                                             void (*progress)(std::size_t done, std::size_t total) = nullptr,
                                             std::uint32_t threads = 0);

// The reproducible part (eval.md 6) as canonical JSON, and the whole sidecar as readable JSON.
std::string reproducible_canonical(const Evidence& e);
std::string sidecar_text(const Evidence& e, std::string_view runtime_name, std::string_view runtime_version);

// A sidecar read back: enough to gate it again, use it as a baseline or list it in a scorecard.
struct SidecarView {
  std::string reproducible_digest, set_name, set_digest, model_digest;
  std::uint64_t cases = 0, passed = 0;
  bool gate_passed = false;
  std::vector<std::string> gate_reasons;
  Baseline as_baseline;
  std::string reproducible_canonical;
};
// SLM-EVAL-004: E_EVAL_SIDECAR when malformed or when the digest does not match.
[[nodiscard]] slm::Result<SidecarView> parse_sidecar(std::string_view text);
// Re-judges a sidecar (slm gate): its stored results and resources under `policy` (its own when
// absent) and `baseline`, which must be the recorded one when the sidecar names one
// (E_EVAL_BASELINE otherwise). E_EVAL_SIDECAR for a sidecar that fails its checks (eval.md 6).
[[nodiscard]] slm::Result<Verdict> regate(std::string_view sidecar_text, std::optional<std::string_view> policy_text,
                                          const std::optional<Baseline>& baseline);

// Canonical JSON (eval.md 2) of a JSON text; E_EVAL_SIDECAR when it is not JSON.
[[nodiscard]] slm::Result<std::string> canonicalize(std::string_view json_text);

// eval.md 7.
std::string scorecard_json(const std::vector<SidecarView>& sidecars);
std::string scorecard_markdown(const std::vector<SidecarView>& sidecars);

}  // namespace slmeval
