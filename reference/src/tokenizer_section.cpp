// Tokenizer section: structure checks (spec/format.md section 5, check order 15-20) and encoding.
#include <algorithm>
#include <string>

#include "check.h"
#include "slm/bytes.h"
#include "slm/decode.h"

namespace slm {

Status decode_tokenizer(std::span<const std::uint8_t> section, std::uint64_t base, DecodedTokenizer& out) {
  const std::uint64_t length = section.size();
  // 15. the 24-byte section header
  if (fails(ErrorCode::E_TOK_TRUNCATED, length < kTokenizerHeaderSize)) return make_error(ErrorCode::E_TOK_TRUNCATED, base + length);
  const std::uint8_t* p = section.data();
  const std::uint32_t kind = load_u32(p + 0);
  const std::uint32_t flags = load_u32(p + 4);
  Tokenizer& t = out.tokenizer;
  t.n_pieces = load_u32(p + 8);
  t.bos_id = load_u32(p + 12);
  t.eos_id = load_u32(p + 16);
  // 16. kind
  if (fails(ErrorCode::E_TOK_KIND, kind != static_cast<std::uint32_t>(TokenizerKind::BYTE) && kind != static_cast<std::uint32_t>(TokenizerKind::BPE))) {
    return make_error(ErrorCode::E_TOK_KIND, base, "tokenizer kind " + std::to_string(kind) + " is not 1 or 2");
  }
  t.kind = static_cast<TokenizerKind>(kind);
  // 17. reserved flag bits and the reserved word
  if (fails(ErrorCode::E_TOK_RESERVED, (flags & ~kKnownTokenizerFlags) != 0)) return make_error(ErrorCode::E_TOK_RESERVED, base + 4);
  if (fails(ErrorCode::E_TOK_RESERVED, load_u32(p + 20) != 0)) return make_error(ErrorCode::E_TOK_RESERVED, base + 20);
  t.flags = flags;
  // 18. piece count limit (before any piece is read)
  if (fails(ErrorCode::E_LIMIT_VOCAB, t.n_pieces > limits::kMaxVocab)) return make_error(ErrorCode::E_LIMIT_VOCAB, base + 8);
  // 19. BPE piece records {f32 score, u32 length, bytes}; BYTE has none
  std::uint64_t at = kTokenizerHeaderSize;
  if (t.kind == TokenizerKind::BPE) {
    // Room for every piece the section can hold (9 bytes each at least): one allocation each, not
    // a doubling series whose freed blocks stay as holes in a wasm heap that never shrinks.
    const std::uint64_t fits = (length - kTokenizerHeaderSize) / 9;
    const auto expected = static_cast<std::size_t>(std::min<std::uint64_t>(t.n_pieces, fits));
    t.pieces.reserve(expected);
    out.piece_offsets.reserve(expected);
    for (std::uint32_t i = 0; i < t.n_pieces; ++i) {
      if (fails(ErrorCode::E_TOK_TRUNCATED, length - at < 8)) return make_error(ErrorCode::E_TOK_TRUNCATED, base + length);
      const float score = load_f32(p + at);
      const std::uint32_t piece_length = load_u32(p + at + 4);
      if (fails(ErrorCode::E_TOK_PIECE_LENGTH, piece_length == 0 || piece_length > limits::kMaxPieceLength)) {
        return make_error(ErrorCode::E_TOK_PIECE_LENGTH, base + at + 4,
                          "piece " + std::to_string(i) + " has length " + std::to_string(piece_length));
      }
      if (fails(ErrorCode::E_TOK_TRUNCATED, length - at - 8 < piece_length)) return make_error(ErrorCode::E_TOK_TRUNCATED, base + length);
      out.piece_offsets.push_back(base + at);
      t.pieces.push_back({std::string(reinterpret_cast<const char*>(p + at + 8), piece_length), score});
      at += 8 + piece_length;
    }
  }
  // 20. nothing after the last piece
  if (fails(ErrorCode::E_TOK_TRAILING, at != length)) return make_error(ErrorCode::E_TOK_TRAILING, base + at);
  return Status::success();
}

std::vector<std::uint8_t> encode_tokenizer(const Tokenizer& t) {
  ByteWriter w;
  w.u32(static_cast<std::uint32_t>(t.kind));
  w.u32(t.flags);
  w.u32(t.n_pieces);
  w.u32(t.bos_id);
  w.u32(t.eos_id);
  w.u32(0);
  for (const auto& piece : t.pieces) {
    w.f32(piece.score);
    w.u32(static_cast<std::uint32_t>(piece.bytes.size()));
    w.raw({reinterpret_cast<const std::uint8_t*>(piece.bytes.data()), piece.bytes.size()});
  }
  return std::move(w.bytes());
}

}  // namespace slm
