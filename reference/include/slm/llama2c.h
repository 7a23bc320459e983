// llama2.c's tokenizer.bin (karpathy/llama2.c, tokenizer.py / run.c build_tokenizer): import into an
// SLM BPE tokenizer and export back (spec/runtime-tokenizer.md section 5, rule SLM-CNV-001).
//
// Layout, little-endian: u32 max_token_length, then for each piece in id order: f32 score,
// i32 byte length, the piece's bytes. The piece count is not stored: it is the model's vocab size.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "slm/errors.h"
#include "slm/format.h"

namespace slm {

// Reads exactly `vocab_size` pieces and returns a BPE tokenizer with bos 1, eos 2 and the
// add_dummy_prefix flag set (llama2.c always adds the dummy prefix), pieces and scores verbatim.
// Any malformed input is E_CONVERT_INPUT (SLM-CNV-001) with the offset of the faulty field in
// `file` (the end of the file for a truncation; no offset when vocab_size itself is out of range).
// Memory is bounded by the file: nothing is allocated from a declared count or length.
Result<Tokenizer> import_llama2c_tokenizer(std::span<const std::uint8_t> file, std::uint32_t vocab_size);

// The inverse for BPE tokenizers: max_token_length is the longest piece, then every piece in id
// order. A BYTE tokenizer (which has no piece records) exports as an empty vector.
// export_llama2c_tokenizer(import_llama2c_tokenizer(f, n)) == f for every f written by llama2.c.
std::vector<std::uint8_t> export_llama2c_tokenizer(const Tokenizer& tokenizer);

}  // namespace slm
