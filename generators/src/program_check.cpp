// Running a programmed model through the reference: the evidence that it does what its program says.
#include <algorithm>
#include <limits>

#include "slm/generate.h"
#include "slm/model_file.h"
#include "slmgen/program.h"
#include "program_sequences.h"

namespace slmgen {

slm::Result<std::vector<ProgramOutcome>> check_programmed_model(const ModelProgram& program,
                                                                std::span<const std::uint8_t> file) {
  auto loaded = slm::load_model(std::vector<std::uint8_t>(file.begin(), file.end()));
  if (!loaded.ok()) return program_invalid("the built model does not load: " + loaded.status().message);
  auto contexts = program_contexts(program, loaded.value()->info().tokenizer);
  if (!contexts.ok()) return contexts.status();
  const ProgramContexts& expected = contexts.value();
  std::vector<ProgramOutcome> outcomes;
  for (std::size_t e = 0; e < program.entries.size(); ++e) {
    ProgramOutcome want = expected.streams[e];
    slm::GenerateRequest request;
    request.prompt = program.entries[e].prompt;
    request.max_tokens = static_cast<std::uint32_t>(want.continuation_tokens.size());
    auto run = slm::generate(loaded.value(), request);
    if (!run.ok()) return program_invalid("entry " + std::to_string(e) + ": " + run.status().message);
    if (run.value().prompt_tokens != want.prompt_tokens || run.value().tokens != want.continuation_tokens) {
      return program_invalid("entry " + std::to_string(e) + ": the model continues '" + program.entries[e].prompt +
                             "' with '" + run.value().text + "', not the programmed '" + program.entries[e].continuation +
                             "'");
    }
    want.min_margin = std::numeric_limits<float>::infinity();
    for (const auto& step : run.value().steps) {
      want.margins.push_back(step.logit - step.runner_up);
      want.min_margin = std::min(want.min_margin, want.margins.back());
    }
    if (!(want.min_margin >= program.min_margin)) {
      return program_invalid("entry " + std::to_string(e) + ": smallest logit margin " + std::to_string(want.min_margin) +
                             " is below the required " + std::to_string(program.min_margin));
    }
    outcomes.push_back(std::move(want));
  }
  return outcomes;
}

}  // namespace slmgen
