// llama2.c tokenizer.bin import/export (spec/runtime-tokenizer.md section 5, rule SLM-CNV-001).
#include "slm/llama2c.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "slm/bytes.h"

namespace slm {
namespace {

Status malformed(std::uint64_t offset, std::string message) {
  return make_error(ErrorCode::E_CONVERT_INPUT, offset, "llama2.c tokenizer: " + std::move(message));
}

}  // namespace

Result<Tokenizer> import_llama2c_tokenizer(std::span<const std::uint8_t> file, std::uint32_t vocab_size) {
  const std::uint64_t size = file.size();
  const std::uint8_t* p = file.data();
  // 1. the vocabulary size the caller gives must be one SLM can hold
  if (vocab_size < kByteVocabSize || vocab_size > limits::kMaxVocab) {
    return malformed(kNoOffset, "vocab_size " + std::to_string(vocab_size) + " is outside 259..2^20");
  }
  // 2. max_token_length
  if (size < 4) return malformed(size, "file ends inside max_token_length");
  const std::uint32_t max_token_length = load_u32(p);
  // 3. exactly vocab_size records {f32 score, i32 length, bytes}, each read only once it is in the file
  Tokenizer t;
  t.kind = TokenizerKind::BPE;
  t.flags = kTokFlagDummyPrefix;
  t.n_pieces = vocab_size;
  t.bos_id = 1;
  t.eos_id = 2;
  std::vector<std::uint64_t> record_offsets;
  std::uint64_t r = 4;
  for (std::uint32_t i = 0; i < vocab_size; ++i) {
    if (size - r < 8) return malformed(size, "file ends inside the record of piece " + std::to_string(i));
    const float score = load_f32(p + r);
    const auto length = static_cast<std::int32_t>(load_u32(p + r + 4));
    if (length < 1 || static_cast<std::uint32_t>(length) > limits::kMaxPieceLength ||
        static_cast<std::uint32_t>(length) > max_token_length) {
      return malformed(r + 4, "piece " + std::to_string(i) + " has length " + std::to_string(length) +
                                  " (1..min(1024, max_token_length " + std::to_string(max_token_length) + "))");
    }
    const auto n = static_cast<std::uint64_t>(length);
    if (size - r - 8 < n) return malformed(size, "file ends inside the bytes of piece " + std::to_string(i));
    if (!std::isfinite(score)) return malformed(r, "piece " + std::to_string(i) + " has a score that is not finite");
    record_offsets.push_back(r);
    t.pieces.push_back({std::string(reinterpret_cast<const char*>(p + r + 8), static_cast<std::size_t>(n)), score});
    r += 8 + n;
  }
  // 4. nothing after the last record (a wrong vocab_size shows up here or as a truncation)
  if (r != size) return malformed(r, "bytes follow piece " + std::to_string(vocab_size - 1));
  // 5. pieces 3..258 are the byte pieces <0x00>..<0xFF> (SLM-TOK-012)
  static const char* hex = "0123456789ABCDEF";
  for (std::uint32_t b = 0; b < 256; ++b) {
    const std::string want = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
    if (t.pieces[kFirstBytePiece + b].bytes != want) {
      return malformed(record_offsets[kFirstBytePiece + b],
                       "piece " + std::to_string(kFirstBytePiece + b) + " is not " + want);
    }
  }
  // 6. no two pieces with the same bytes (SLM-TOK-014): report the smallest id repeating an earlier one
  std::vector<std::uint32_t> order(t.pieces.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return t.pieces[a].bytes != t.pieces[b].bytes ? t.pieces[a].bytes < t.pieces[b].bytes : a < b;
  });
  std::uint32_t first_repeat = vocab_size;
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (t.pieces[order[k]].bytes == t.pieces[order[k - 1]].bytes) first_repeat = std::min(first_repeat, order[k]);
  }
  if (first_repeat != vocab_size) {
    return malformed(record_offsets[first_repeat],
                     "piece " + std::to_string(first_repeat) + " repeats an earlier piece");
  }
  return t;
}

std::vector<std::uint8_t> export_llama2c_tokenizer(const Tokenizer& tokenizer) {
  if (tokenizer.kind != TokenizerKind::BPE) return {};
  std::size_t longest = 0;
  for (const auto& piece : tokenizer.pieces) longest = std::max(longest, piece.bytes.size());
  ByteWriter w;
  w.u32(static_cast<std::uint32_t>(longest));
  for (const auto& piece : tokenizer.pieces) {
    w.f32(piece.score);
    w.u32(static_cast<std::uint32_t>(piece.bytes.size()));
    w.raw({reinterpret_cast<const std::uint8_t*>(piece.bytes.data()), piece.bytes.size()});
  }
  return std::move(w.bytes());
}

}  // namespace slm
