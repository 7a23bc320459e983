// One-fault negatives: each file breaks exactly one rule of spec/format.md and is otherwise valid
// (edited field by field, then re-sealed, so it fails the targeted check and not merely the checksum).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "slm/errors.h"

namespace slmgen {

struct NegativeCase {
  std::string id;           // stable case id, "<area>/<fault>"
  slm::ErrorCode expected;  // the code the first failing check produces
  std::string description;
  std::vector<std::uint8_t> bytes;
  bool verify_digest = false;  // the case needs full validation (SLM-DIG-001)
};

// The valid files the negatives are made from.
std::vector<std::uint8_t> negatives_base_model();      // tiny, byte tokenizer, untied; f32 norms, q8_0 embedding, q4_0 matrices
std::vector<std::uint8_t> negatives_base_bpe_model();  // tiny shape with a 300-piece BPE tokenizer

std::vector<NegativeCase> make_negatives();

}  // namespace slmgen
