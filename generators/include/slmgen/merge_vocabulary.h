// The merge vocabulary (spec/generators.md section 2.1): a BPE vocabulary of 4096 pieces built the
// way training builds one, by merging pieces already in it, with deliberate score ties, long merge
// chains, multi-byte and whitespace pieces, pieces no merge can reach, and characters it lacks.
// The tokenize goldens that tell runtimes' merge bookkeeping apart run on it
// (recipe tokenizer "bpe-merges").
#pragma once
#include <cstdint>

#include "slm/format.h"

namespace slmgen {

inline constexpr std::uint32_t kMergeVocabularySize = 4096;

slm::Tokenizer merge_vocabulary();

}  // namespace slmgen
