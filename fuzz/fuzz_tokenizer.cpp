// Tokenizer section bytes -> structure checks (15-20) -> semantic checks (38-42) against a vocab
// size equal to the declared piece count. (Encode/decode of fuzzed text joins when the runtime's
// tokenizer lands.)
#include <cstdint>
#include <span>

#include "slm/decode.h"
#include "slm/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  slm::DecodedTokenizer decoded;
  if (!slm::decode_tokenizer(std::span<const std::uint8_t>(data, size), 256, decoded).ok()) return 0;
  if (decoded.tokenizer.kind == slm::TokenizerKind::BPE && decoded.tokenizer.pieces.size() != decoded.tokenizer.n_pieces) {
    __builtin_trap();  // a decoded BPE tokenizer has exactly its declared records
  }
  slm::Hyperparameters hp;
  hp.vocab_size = decoded.tokenizer.n_pieces;
  (void)slm::validate_tokenizer(decoded, hp, 256);
  return 0;
}
