// The token streams a program describes and the (previous, current) -> next contexts they need.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "slm/errors.h"
#include "slm/format.h"
#include "slmgen/program.h"

namespace slmgen {

struct ProgramContext {
  std::uint32_t previous = 0, current = 0, next = 0;
};

struct ProgramContexts {
  std::vector<ProgramOutcome> streams;          // per entry: prompt tokens (BOS first) and continuation (EOS last)
  std::vector<ProgramContext> contexts;         // unique, in order of first appearance
  std::vector<std::uint32_t> used_tokens;       // every token a context names, in order of first appearance
};

// Prompt tokens are what generation encodes (BOS, dummy prefix per the tokenizer's flag); the
// continuation is encoded without a dummy prefix, so that decoding it after the prompt gives exactly
// the continuation text, and ends with EOS. A context is (token before, token at, token after) for
// every position from the last prompt token on; position 0's "token before" is itself.
// E_PROGRAM_INVALID for a program without entries, an entry longer than max_seq_len, or two entries
// that continue one context differently.
slm::Result<ProgramContexts> program_contexts(const ModelProgram& program, const slm::Tokenizer& tokenizer);

// E_PROGRAM_INVALID with `message`: a program that cannot be built or checked (SLM-TOOL-008).
inline slm::Status program_invalid(std::string message) {
  return slm::make_error(slm::ErrorCode::E_PROGRAM_INVALID, slm::kNoOffset, std::move(message));
}

}  // namespace slmgen
