// Programmed models (spec/generators.md, "Programmed models"): weights built by hand so that the
// greedy continuation of each given prompt is the given text followed by EOS, with every layer's
// attention and FFN needed for it. Goldens on such models fail loudly when a runtime is wrong
// (a broken RoPE, GQA mapping, softmax or skipped layer loses the continuation) and pass robustly
// when it is right (every chosen token wins by a recorded logit margin).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "slm/errors.h"
#include "slm/writer.h"

namespace slmgen {

// The vocabulary of a program with `pieces`: <unk> <s> </s>, the 256 byte pieces, " " and every
// code point of the pieces in order of first appearance (score 0), then the pieces in order, piece
// k (from 0) scoring -(k + 1). E_PROGRAM_INVALID for an empty, repeated or over-long piece.
slm::Result<slm::Tokenizer> program_vocabulary(const std::vector<std::string>& pieces);

struct ProgramEntry {
  std::string prompt, continuation;
};

struct ModelProgram {
  std::vector<ProgramEntry> entries;
  std::string tokenizer = "byte";  // "byte" or "bpe" (the synthetic BPE vocabulary of `vocab` pieces)
  std::uint32_t vocab = 512;       // bpe only
  // bpe only, instead of `vocab`: the program's own merges (spec/generators.md 3.1), so that a
  // question like "3+4=" encodes to the two tokens a programmed model sees ("3+", "4=").
  std::vector<std::string> pieces;
  std::uint32_t dim = 128, hidden_dim = 256, layers = 2, heads = 4, kv_heads = 2, max_seq_len = 64;
  std::string dtype = "f32";       // every matrix: f32, q8_0 or q4_0 (norm weights stay f32)
  std::uint64_t seed = 1;          // the small noise in every weight
  float min_margin = 4.0f;         // every chosen logit must beat the runner-up by at least this
};

// Per entry: the token stream the model continues with, and the smallest winning margin.
struct ProgramOutcome {
  std::vector<std::uint32_t> prompt_tokens, continuation_tokens;  // continuation ends with EOS
  std::vector<float> margins;  // per continuation token: its logit minus the best other logit
  float min_margin = 0;
};

// Builds the model, or E_PROGRAM_INVALID (spec/tools.md, SLM-TOOL-008) explaining why the program
// cannot be built (ambiguous contexts, too many distinct tokens for `dim`, shapes the format
// rejects). Does not run the model.
slm::Result<slm::ModelDescription> build_programmed_model(const ModelProgram& program);

// Runs the reference on every entry: the greedy continuation must be exactly the programmed one,
// each chosen logit ahead by at least program.min_margin. One outcome per entry, or
// E_PROGRAM_INVALID saying which entry the model in `file` does not follow.
slm::Result<std::vector<ProgramOutcome>> check_programmed_model(const ModelProgram& program,
                                                                std::span<const std::uint8_t> file);

}  // namespace slmgen
