// Tokenizer runtime: text <-> token ids for a validated SLM tokenizer (spec/runtime-tokenizer.md).
// llama2.c-compatible BPE with byte fallback, with two deliberate differences that make
// decode(encode(s)) == s hold for every byte string s: special pieces (ids 0..2) and byte pieces
// (ids 3..258) are never the result of a lookup, and a byte-fallback token never takes part in a merge.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slm/format.h"

namespace slm {

class TokenizerRuntime {
public:
  // Precondition: `tokenizer` passed validation (spec/format.md checks 15-20 and 38-42). The
  // runtime reads the pieces in place (a 32,000-piece vocabulary is not held twice), so
  // `tokenizer` must outlive it; on an unvalidated tokenizer it stays memory-safe but its output
  // is unspecified.
  explicit TokenizerRuntime(const Tokenizer& tokenizer);
  explicit TokenizerRuntime(Tokenizer&&) = delete;  // a temporary would leave the pieces dangling

  std::uint32_t vocab_size() const { return vocab_size_; }  // BYTE: 259; BPE: the number of pieces
  std::uint32_t bos_id() const { return bos_id_; }
  std::uint32_t eos_id() const { return eos_id_; }
  bool add_dummy_prefix() const { return (flags_ & kTokFlagDummyPrefix) != 0; }

  // RT-TOK-001..006: dummy prefix, units, byte fallback, merges, then the optional BOS and EOS.
  std::vector<std::uint32_t> encode(std::string_view text, bool add_bos, bool add_eos) const;

  // RT-TOK-010..013: the bytes of a whole sequence. Only a token whose predecessor in `tokens` is
  // BOS loses its leading space (the first token has no predecessor and keeps it). Ids 0..2 and
  // ids >= vocab_size() decode to nothing.
  std::string decode(std::span<const std::uint32_t> tokens) const;

  // The bytes `token` adds to a stream whose previous token was `previous`. Concatenating
  // decode_piece(tokens[i-1], tokens[i]) for i >= 1 after decode_piece of the first token with any
  // non-BOS `previous` gives decode(tokens).
  std::string decode_piece(std::uint32_t previous, std::uint32_t token) const;

  // The bytes a token stands for, before the leading-space rule (empty for specials and unknown ids).
  std::string_view token_bytes(std::uint32_t token) const;

  // The normal piece (id >= 259) whose bytes are exactly `bytes`, or kNoToken.
  static constexpr std::uint32_t kNoToken = 0xFFFFFFFFu;
  std::uint32_t find_normal_piece(std::string_view bytes) const;

private:
  std::uint32_t merge_of(std::uint32_t left, std::uint32_t right, std::string& scratch) const;
  void append_decoded(std::string& out, bool after_bos, std::uint32_t token) const;

  TokenizerKind kind_ = TokenizerKind::BYTE;
  std::uint32_t flags_ = 0;
  std::uint32_t vocab_size_ = kByteVocabSize;
  std::uint32_t bos_id_ = 1, eos_id_ = 2;
  std::size_t max_piece_length_ = 0;       // longest normal piece, bounds merge lookups
  std::span<const TokenizerPiece> pieces_;  // the tokenizer's, by id; only normal pieces (id >= 259) are read
  std::vector<std::uint32_t> table_;       // open-addressing hash table of normal-piece ids
  std::size_t table_mask_ = 0;             // table_.size() - 1 (a power of two) or 0 when empty
};

}  // namespace slm
