// Tokenizer section bytes -> structure checks (15-20) -> semantic checks (38-42) against a vocab
// size equal to the declared piece count; and the input as text through encode/decode of a fixed
// BPE tokenizer and of the fuzzed one when it validates: decode(encode(s)) == s must hold.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

#include "slm/decode.h"
#include "slm/tokenizer.h"
#include "slm/validate.h"
#include "slmgen/model_gen.h"

namespace {

constexpr std::size_t kMaxText = 1024;  // merging is quadratic in the text length

void check_round_trip(const slm::TokenizerRuntime& tokenizer, std::string_view text) {
  const auto ids = tokenizer.encode(text, true, false);
  for (auto id : ids) {
    if (id >= tokenizer.vocab_size()) __builtin_trap();
  }
  if (tokenizer.decode(ids) != text) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const slm::Tokenizer vocabulary = slmgen::synthetic_bpe_tokenizer(600);  // outlives the runtime
  static const slm::TokenizerRuntime fixed(vocabulary);
  const std::string_view text(reinterpret_cast<const char*>(data), std::min(size, kMaxText));
  check_round_trip(fixed, text);

  slm::DecodedTokenizer decoded;
  if (!slm::decode_tokenizer(std::span<const std::uint8_t>(data, size), 256, decoded).ok()) return 0;
  if (decoded.tokenizer.kind == slm::TokenizerKind::BPE && decoded.tokenizer.pieces.size() != decoded.tokenizer.n_pieces) {
    __builtin_trap();  // a decoded BPE tokenizer has exactly its declared records
  }
  slm::Hyperparameters hp;
  hp.vocab_size = decoded.tokenizer.n_pieces;
  if (!slm::validate_tokenizer(decoded, hp, 256).ok()) return 0;
  check_round_trip(slm::TokenizerRuntime(decoded.tokenizer), text);
  return 0;
}
