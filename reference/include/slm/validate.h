// Decode + validate an SLM1 file in the spec's check order (spec/format.md section 7, "Check order").
// Memory is O(header + tokenizer + directory); tensor data is only streamed through the checksum.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "slm/decode.h"
#include "slm/errors.h"
#include "slm/format.h"
#include "slm/source.h"

namespace slm {

struct ValidateOptions {
  bool verify_digest = false;  // also recompute the SHA-256 content digest (check 50)
};

// Everything known about a valid file except its tensor bytes.
struct ModelInfo {
  Header header;
  Tokenizer tokenizer;
  std::vector<TensorEntry> tensors;
};

Result<ModelInfo> validate_model(ByteSource& source, const ValidateOptions& options = {});
Result<ModelInfo> validate_model(std::span<const std::uint8_t> bytes, const ValidateOptions& options = {});

// Semantic checks on decoded parts (check order 37-42); exposed for the generators and tests.
Status validate_hparams(const Hyperparameters& hp);
Status validate_tokenizer(const DecodedTokenizer& tok, const Hyperparameters& hp, std::uint64_t base);

}  // namespace slm
