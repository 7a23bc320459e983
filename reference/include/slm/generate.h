// Text generation (spec/runtime.md, "Generation"): encode the prompt, run it through the
// transformer, then sample up to max_tokens, recording each step's logit margin and diagnostics.
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "slm/model_file.h"
#include "slm/sampler.h"

namespace slm {

struct GenerateRequest {
  std::string prompt;
  std::uint32_t max_tokens = 64;
  SamplingConfig sampling;
  bool add_bos = true;
  bool stop_at_eos = true;
  std::uint32_t context = 0;  // KV cache positions; 0: the model's max_seq_len
  std::uint32_t record_logits = 0;  // keep the full logits of this many first generation steps
  std::uint32_t threads = 0;  // forward-pass threads; 0: every core (the results never depend on it)
};

// For every generated token: its logit and the best other logit (the margin a golden needs).
struct StepTrace {
  std::uint32_t token = 0;
  float logit = 0, runner_up = 0;
  // Sampled steps: min(r - low, high - r) / total for the draw (DrawTrace), counting only ends
  // with a neighbour (low > 0, high < total): the fraction of the probability mass by which the
  // draw missed choosing a neighbour; +inf for greedy steps and for a sole candidate.
  float sampling_slack = std::numeric_limits<float>::infinity();
};

struct Diagnostics {
  std::uint32_t prompt_tokens = 0, generated_tokens = 0;
  double seconds = 0, tokens_per_second = 0;  // wall time of the forward passes (not compared)
  std::uint64_t scratch_bytes = 0, kv_cache_bytes = 0, model_bytes = 0;
  std::uint32_t tensors_f32 = 0, tensors_q8_0 = 0, tensors_q4_0 = 0;
  std::uint32_t adapter_count = 0;
};

struct GenerateResult {
  std::vector<std::uint32_t> prompt_tokens;  // BOS included when requested
  std::vector<std::uint32_t> tokens;         // generated, EOS included when it stopped the run
  std::string text;                          // the generated tokens decoded
  std::string stop_reason;                   // "max_tokens", "eos" or "context"
  std::vector<StepTrace> steps;
  std::vector<std::vector<float>> logits;    // [min(record_logits, steps)][vocab], before sampling
  Diagnostics diagnostics;
};

class Transformer;
class TokenizerRuntime;

// One generation, a token at a time (runtime.md section 5), for callers that show tokens as they
// come (the WASM ABI's slm_begin / slm_next). begin() encodes the prompt and feeds all but its last
// token (as one batch: Transformer::prefill); each step() runs one iteration of the section-5 loop. The stop reason is set as soon as it
// is decided (after the token that decides it), so a caller stops without an extra call.
class Generation {
public:
  static Result<std::unique_ptr<Generation>> begin(std::shared_ptr<const LoadedModel> model, const GenerateRequest& request);
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  // Generates the next token; false (and nothing changes) once the run has stopped.
  bool step();
  bool done() const { return !result_.stop_reason.empty(); }
  // The bytes the last step appended to result().text (empty for an EOS that stopped the run).
  std::string_view piece() const { return std::string_view(result_.text).substr(piece_begin_); }
  // Tokens, text, stop reason, traces, recorded logits and diagnostics so far.
  const GenerateResult& result() const { return result_; }
  GenerateResult take() && { return std::move(result_); }

private:
  Generation() = default;
  // A stopped run keeps only its result: the KV cache, scratch and tokenizer tables go at once, so a
  // page that generates again never holds two KV caches (wasm memory only grows).
  void release_state();
  std::shared_ptr<const LoadedModel> model_;
  std::unique_ptr<Transformer> transformer_;
  std::unique_ptr<TokenizerRuntime> tokenizer_;
  GenerateRequest request_;
  std::unique_ptr<Sampler> sampler_;
  GenerateResult result_;
  std::uint32_t pos_ = 0, token_ = 0;
  std::size_t piece_begin_ = 0;
};

// The whole run: begin, then step until done.
Result<GenerateResult> generate(std::shared_ptr<const LoadedModel> model, const GenerateRequest& request);

}  // namespace slm
