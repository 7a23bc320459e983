#include "slm/generate.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <span>

#include "slm/tokenizer.h"
#include "slm/transformer.h"

namespace slm {

namespace {

Diagnostics static_diagnostics(const LoadedModel& model, const Transformer& t) {
  Diagnostics d;
  d.scratch_bytes = t.scratch_bytes();
  d.kv_cache_bytes = t.kv_cache_bytes();
  d.model_bytes = model.file_bytes().size();
  for (const auto& v : model.tensors()) {
    switch (v.entry->dtype) {
      case DType::F32: ++d.tensors_f32; break;
      case DType::Q8_0: ++d.tensors_q8_0; break;
      case DType::Q4_0: ++d.tensors_q4_0; break;
    }
  }
  return d;
}

StepTrace trace_of(const std::vector<float>& logits, std::uint32_t chosen) {
  return StepTrace{chosen, logits[chosen], runner_up(logits.data(), logits.size(), chosen)};
}

}  // namespace

Generation::~Generation() = default;

Result<std::unique_ptr<Generation>> Generation::begin(std::shared_ptr<const LoadedModel> model,
                                                      const GenerateRequest& request) {
  std::unique_ptr<Generation> g(new Generation());
  g->tokenizer_ = std::make_unique<TokenizerRuntime>(model->info().tokenizer);
  GenerateResult& out = g->result_;
  out.prompt_tokens = g->tokenizer_->encode(request.prompt, request.add_bos, false);
  if (out.prompt_tokens.empty()) out.prompt_tokens.push_back(g->tokenizer_->bos_id());  // something to condition on
  // prefill takes every prompt token but the last: batch buffers for that many (at least 1)
  const auto prefill_batch = static_cast<std::uint32_t>(std::min<std::size_t>(out.prompt_tokens.size() - 1, 0xFFFFFFFFu));
  auto created = Transformer::create(model, request.context, request.threads, std::max(prefill_batch, 1u));
  if (!created.ok()) return created.status();
  g->transformer_ = std::move(created.value());
  g->model_ = std::move(model);
  g->request_ = request;
  if (out.prompt_tokens.size() > g->transformer_->context()) {
    return make_error(ErrorCode::E_GEN_PROMPT_TOO_LONG, kNoOffset,
                      "prompt has " + std::to_string(out.prompt_tokens.size()) + " tokens, the context holds " +
                          std::to_string(g->transformer_->context()));
  }
  g->sampler_ = std::make_unique<Sampler>(request.sampling);
  out.diagnostics = static_diagnostics(*g->model_, *g->transformer_);
  out.diagnostics.prompt_tokens = static_cast<std::uint32_t>(out.prompt_tokens.size());
  const auto start = std::chrono::steady_clock::now();
  // Prompt: every token but the last only fills the KV cache, as a batch (the same bits as one by one).
  const std::span<const std::uint32_t> prompt(out.prompt_tokens);
  g->transformer_->prefill(prompt.first(prompt.size() - 1), 0, false);
  g->pos_ = static_cast<std::uint32_t>(prompt.size() - 1);
  out.diagnostics.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  g->token_ = out.prompt_tokens.back();
  if (request.max_tokens == 0) {
    out.stop_reason = "max_tokens";  // the loop's condition, checked first
    g->release_state();
  }
  return g;
}

bool Generation::step() {
  if (done()) return false;
  GenerateResult& out = result_;
  piece_begin_ = out.text.size();
  const auto start = std::chrono::steady_clock::now();
  const std::vector<float>& logits = transformer_->forward(token_, pos_++);
  if (out.logits.size() < request_.record_logits) out.logits.push_back(logits);
  DrawTrace draw;
  const std::uint32_t previous = token_;
  token_ = sampler_->sample(logits, &draw);
  out.steps.push_back(trace_of(logits, token_));
  if (request_.sampling.temperature > 0.0f && draw.total > 0.0f) {
    // only an end with a neighbour behind it counts: 0 and total have none
    const float inf = std::numeric_limits<float>::infinity();
    const float below = draw.low > 0.0f ? draw.r - draw.low : inf, above = draw.high < draw.total ? draw.high - draw.r : inf;
    out.steps.back().sampling_slack = std::min(below, above) / draw.total;
  }
  out.tokens.push_back(token_);
  // The loop's checks in their order (runtime.md 5): EOS, then the while condition, then the
  // context before the next forward pass. The text is decoded with the previous token in front, so
  // the dummy-prefix rule sees what precedes; the EOS that stops the run is not text.
  if (request_.stop_at_eos && token_ == tokenizer_->eos_id()) {
    out.stop_reason = "eos";
  } else {
    out.text += tokenizer_->decode_piece(previous, token_);
    if (out.tokens.size() >= request_.max_tokens) out.stop_reason = "max_tokens";
    else if (pos_ >= transformer_->context()) out.stop_reason = "context";
  }
  auto& d = out.diagnostics;
  d.generated_tokens = static_cast<std::uint32_t>(out.tokens.size());
  d.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  d.tokens_per_second = d.seconds > 0 ? static_cast<double>(out.tokens.size()) / d.seconds : 0;
  if (done()) release_state();
  return true;
}

void Generation::release_state() {
  transformer_.reset();
  tokenizer_.reset();
  sampler_.reset();
}

Result<GenerateResult> generate(std::shared_ptr<const LoadedModel> model, const GenerateRequest& request) {
  auto run = Generation::begin(std::move(model), request);
  if (!run.ok()) return run.status();
  while (run.value()->step()) {
  }
  return std::move(*run.value()).take();
}

}  // namespace slm
