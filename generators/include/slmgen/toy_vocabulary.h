// The toy vocabulary of spec/runtime-tokenizer.md section 6.2 (V = 275, score ties, merge chains,
// multi-byte pieces, special-looking texts), and a small model carrying it: the tokenize goldens'
// input for the spec's hand-computed vectors T1-T10.
#pragma once
#include <cstdint>

#include "slm/format.h"
#include "slm/writer.h"

namespace slmgen {

slm::Tokenizer toy_vocabulary(std::uint32_t flags = slm::kTokFlagDummyPrefix);

// 1 layer, dim 32, f32, seeded weights (SplitMix64 seed 6), the toy vocabulary.
slm::ModelDescription toy_vocabulary_model();

}  // namespace slmgen
