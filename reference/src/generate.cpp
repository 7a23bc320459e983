#include "slm/generate.h"

#include <algorithm>
#include <chrono>
#include <limits>

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
  StepTrace s{chosen, logits[chosen], -std::numeric_limits<float>::infinity()};
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (i != chosen && logits[i] > s.runner_up) s.runner_up = logits[i];
  }
  return s;
}

}  // namespace

Result<GenerateResult> generate(std::shared_ptr<const LoadedModel> model, const GenerateRequest& request) {
  const TokenizerRuntime tokenizer(model->info().tokenizer);
  auto created = Transformer::create(model, request.context);
  if (!created.ok()) return created.status();
  Transformer& transformer = *created.value();
  GenerateResult out;
  out.prompt_tokens = tokenizer.encode(request.prompt, request.add_bos, false);
  if (out.prompt_tokens.empty()) out.prompt_tokens.push_back(tokenizer.bos_id());  // something to condition on
  if (out.prompt_tokens.size() > transformer.context()) {
    return make_error(ErrorCode::E_GEN_PROMPT_TOO_LONG, kNoOffset,
                      "prompt has " + std::to_string(out.prompt_tokens.size()) + " tokens, the context holds " +
                          std::to_string(transformer.context()));
  }
  Sampler sampler(request.sampling);
  std::vector<float> scratch;
  const auto start = std::chrono::steady_clock::now();
  // Prompt: every token but the last only fills the KV cache.
  std::uint32_t pos = 0;
  for (; pos + 1 < out.prompt_tokens.size(); ++pos) transformer.forward(out.prompt_tokens[pos], pos);
  std::uint32_t token = out.prompt_tokens.back();
  out.stop_reason = "max_tokens";
  while (out.tokens.size() < request.max_tokens) {
    if (pos >= transformer.context()) {
      out.stop_reason = "context";
      break;
    }
    const std::vector<float>& logits = transformer.forward(token, pos++);
    if (out.logits.size() < request.record_logits) out.logits.push_back(logits);
    scratch = logits;
    DrawTrace draw;
    token = sampler.sample(scratch, &draw);
    out.steps.push_back(trace_of(logits, token));
    if (request.sampling.temperature > 0.0f && draw.total > 0.0f) {
      // only an end with a neighbour behind it counts: 0 and total have none
      const float inf = std::numeric_limits<float>::infinity();
      const float below = draw.low > 0.0f ? draw.r - draw.low : inf, above = draw.high < draw.total ? draw.high - draw.r : inf;
      out.steps.back().sampling_slack = std::min(below, above) / draw.total;
    }
    out.tokens.push_back(token);
    if (request.stop_at_eos && token == tokenizer.eos_id()) {
      out.stop_reason = "eos";
      break;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<std::uint32_t> shown = out.tokens;
  if (!shown.empty() && shown.back() == tokenizer.eos_id() && out.stop_reason == "eos") shown.pop_back();
  // decode with the last prompt token in front, so the dummy-prefix rule sees what precedes
  std::string text;
  std::uint32_t previous = out.prompt_tokens.back();
  for (std::uint32_t t : shown) {
    text += tokenizer.decode_piece(previous, t);
    previous = t;
  }
  out.text = std::move(text);
  out.diagnostics = static_diagnostics(*model, transformer);
  out.diagnostics.prompt_tokens = static_cast<std::uint32_t>(out.prompt_tokens.size());
  out.diagnostics.generated_tokens = static_cast<std::uint32_t>(out.tokens.size());
  out.diagnostics.seconds = seconds;
  out.diagnostics.tokens_per_second = seconds > 0 ? static_cast<double>(out.tokens.size()) / seconds : 0;
  return out;
}

}  // namespace slm
