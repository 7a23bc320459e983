// The decode steps of spec/format.md, one per section; validate.h runs them in check order.
// Each returns the first failing check of its step, with the absolute byte offset of the field.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "slm/errors.h"
#include "slm/format.h"

namespace slm {

// Checks 1-14: header fields and the section table. `prefix` holds the first min(file_size, 256)
// bytes of the file.
Status decode_header(std::span<const std::uint8_t> prefix, std::uint64_t file_size, Header& out);

// Check 10 (SLM-LIM-002) on hyperparameters already in hand; the generators run it before they
// allocate anything. Offset: the header field of the first hyperparameter over its limit.
Status check_hparam_limits(const Hyperparameters& hp);

struct DecodedTokenizer {
  Tokenizer tokenizer;
  std::vector<std::uint64_t> piece_offsets;  // absolute offset of each piece record (BPE)
};

// Checks 15-20 on the tokenizer section's bytes, which start at absolute offset `base`.
Status decode_tokenizer(std::span<const std::uint8_t> section, std::uint64_t base, DecodedTokenizer& out);

// Checks 21-34 on the directory's bytes (base = absolute offset of the directory).
Status decode_directory(std::span<const std::uint8_t> directory, std::uint64_t base, const Header& header,
                        std::vector<TensorEntry>& out);

// Serialisation used by the writer; the inverse of the decoders above for canonical input.
std::vector<std::uint8_t> encode_tokenizer(const Tokenizer& tokenizer);
void encode_directory_entry(const TensorEntry& entry, std::uint8_t* out128);

}  // namespace slm
