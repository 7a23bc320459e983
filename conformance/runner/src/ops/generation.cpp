#include "generation.h"

#include "slm/generate.h"
#include "slmconf/reference_runtime.h"

namespace slmconf {

slm::Status generate_into(const std::shared_ptr<const slm::LoadedModel>& model, const GenerateParams& params,
                          GenerationOutput& out) {
  slm::GenerateRequest g;
  g.prompt = params.prompt;
  g.max_tokens = params.max_tokens;
  g.sampling = {params.temperature, params.top_k, params.top_p, params.seed};
  g.record_logits = params.logit_steps;
  g.threads = reference_threads();
  auto run = slm::generate(model, g);
  if (!run.ok()) return run.status();
  out.prompt_tokens = run->prompt_tokens;
  out.tokens = run->tokens;
  out.text = run->text;
  out.stop_reason = run->stop_reason;
  out.logits = run->logits;
  return slm::Status::success();
}

}  // namespace slmconf
