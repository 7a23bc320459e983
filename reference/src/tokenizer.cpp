// Tokenizer runtime (spec/runtime-tokenizer.md sections 2-3). The encoder follows llama2.c's
// encode() in run.c step by step: dummy prefix, UTF-8-shaped units, byte fallback, then greedy pair
// merges by score; section 4 of the spec lists where and why it differs.
#include "slm/tokenizer.h"

#include <array>

namespace slm {
namespace {

constexpr std::uint32_t kFirstNormalPiece = kFirstBytePiece + 256;  // 259

// The 256 one-byte strings the byte pieces 3..258 decode to.
const std::array<char, 256>& byte_values() {
  static const std::array<char, 256> values = [] {
    std::array<char, 256> v{};
    for (std::size_t b = 0; b < 256; ++b) v[b] = static_cast<char>(static_cast<unsigned char>(b));
    return v;
  }();
  return values;
}

// FNV-1a (64-bit): only used inside this file's hash table; any hash would do.
std::uint64_t hash_bytes(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u; }

}  // namespace

TokenizerRuntime::TokenizerRuntime(const Tokenizer& tokenizer)
    : kind_(tokenizer.kind), flags_(tokenizer.flags), bos_id_(tokenizer.bos_id), eos_id_(tokenizer.eos_id) {
  if (kind_ == TokenizerKind::BYTE) {
    vocab_size_ = kByteVocabSize;  // implied vocabulary, no normal pieces
    return;
  }
  vocab_size_ = static_cast<std::uint32_t>(tokenizer.pieces.size());
  pieces_ = tokenizer.pieces;
  // Hash table of the normal pieces, at most half full. A repeated piece (impossible after
  // SLM-TOK-014) keeps its lowest id.
  const std::size_t normal = pieces_.size() > kFirstNormalPiece ? pieces_.size() - kFirstNormalPiece : 0;
  if (normal == 0) return;
  std::size_t capacity = 16;
  while (capacity < 2 * normal) capacity *= 2;
  table_.assign(capacity, kNoToken);
  table_mask_ = capacity - 1;
  for (std::uint32_t id = kFirstNormalPiece; id < vocab_size_; ++id) {
    const std::string& bytes = pieces_[id].bytes;
    std::size_t slot = static_cast<std::size_t>(hash_bytes(bytes)) & table_mask_;
    while (table_[slot] != kNoToken && pieces_[table_[slot]].bytes != bytes) slot = (slot + 1) & table_mask_;
    if (table_[slot] == kNoToken) table_[slot] = id;
    if (bytes.size() > max_piece_length_) max_piece_length_ = bytes.size();
  }
}

std::uint32_t TokenizerRuntime::find_normal_piece(std::string_view bytes) const {
  if (table_.empty() || bytes.size() > max_piece_length_) return kNoToken;
  std::size_t slot = static_cast<std::size_t>(hash_bytes(bytes)) & table_mask_;
  while (table_[slot] != kNoToken) {
    if (pieces_[table_[slot]].bytes == bytes) return table_[slot];
    slot = (slot + 1) & table_mask_;
  }
  return kNoToken;
}

std::string_view TokenizerRuntime::token_bytes(std::uint32_t token) const {
  if (token < kFirstBytePiece || token >= vocab_size_) return {};  // specials, unknown ids
  if (token < kFirstNormalPiece) return {&byte_values()[token - kFirstBytePiece], 1};
  return token < pieces_.size() ? std::string_view(pieces_[token].bytes) : std::string_view();
}

// The normal piece that the adjacent pair (left, right) merges into, or kNoToken. Only two normal
// pieces merge: a byte-fallback token is final, and specials never appear inside the text's tokens.
std::uint32_t TokenizerRuntime::merge_of(std::uint32_t left, std::uint32_t right, std::string& scratch) const {
  if (left < kFirstNormalPiece || right < kFirstNormalPiece) return kNoToken;
  const std::string_view a = token_bytes(left), b = token_bytes(right);
  if (a.size() + b.size() > max_piece_length_) return kNoToken;
  scratch.assign(a);
  scratch.append(b);
  return find_normal_piece(scratch);
}

std::vector<std::uint32_t> TokenizerRuntime::encode(std::string_view text, bool add_bos, bool add_eos) const {
  std::vector<std::uint32_t> tokens;
  tokens.reserve(text.size() + 3);
  // Units to ids: a unit that is a normal piece becomes that id, otherwise each byte b becomes 3 + b.
  auto emit_unit = [&](std::string_view unit) {
    const std::uint32_t id = kind_ == TokenizerKind::BPE ? find_normal_piece(unit) : kNoToken;
    if (id != kNoToken) {
      tokens.push_back(id);
      return;
    }
    for (char c : unit) tokens.push_back(kFirstBytePiece + static_cast<unsigned char>(c));
  };
  // 1. the dummy prefix: a unit of its own, a single space, only for non-empty text
  if (add_dummy_prefix() && !text.empty()) emit_unit(" ");
  // 2. UTF-8-shaped units: a unit starts at any byte and takes the continuation bytes (10xxxxxx)
  //    that follow it while it is shorter than 4 bytes
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = start + 1;
    while (end < text.size() && is_continuation(text[end]) && end - start < 4) ++end;
    emit_unit(text.substr(start, end - start));
    start = end;
  }
  // 3. merges: repeatedly replace the adjacent pair whose concatenation is the normal piece with the
  //    highest score (the leftmost pair on ties) by that piece. merge[i] caches the pair (i, i+1).
  if (kind_ == TokenizerKind::BPE && tokens.size() >= 2) {
    std::string scratch;
    std::vector<std::uint32_t> merge(tokens.size() - 1);
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) merge[i] = merge_of(tokens[i], tokens[i + 1], scratch);
    for (;;) {
      std::size_t best = merge.size();
      for (std::size_t i = 0; i < merge.size(); ++i) {
        if (merge[i] == kNoToken) continue;
        if (best == merge.size() || pieces_[merge[i]].score > pieces_[merge[best]].score) best = i;  // strictly greater
      }
      if (best == merge.size()) break;
      tokens[best] = merge[best];
      tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best) + 1);
      merge.erase(merge.begin() + static_cast<std::ptrdiff_t>(best));
      if (best > 0) merge[best - 1] = merge_of(tokens[best - 1], tokens[best], scratch);
      if (best < merge.size()) merge[best] = merge_of(tokens[best], tokens[best + 1], scratch);
    }
  }
  if (add_bos) tokens.insert(tokens.begin(), bos_id_);
  if (add_eos) tokens.push_back(eos_id_);
  return tokens;
}

void TokenizerRuntime::append_decoded(std::string& out, bool after_bos, std::uint32_t token) const {
  std::string_view bytes = token_bytes(token);
  // llama2.c's rule: after BOS, the dummy prefix's space is dropped.
  if (after_bos && add_dummy_prefix() && !bytes.empty() && bytes.front() == ' ') bytes.remove_prefix(1);
  out.append(bytes);
}

std::string TokenizerRuntime::decode(std::span<const std::uint32_t> tokens) const {
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) append_decoded(out, i > 0 && tokens[i - 1] == bos_id_, tokens[i]);
  return out;
}

std::string TokenizerRuntime::decode_piece(std::uint32_t previous, std::uint32_t token) const {
  std::string out;
  append_decoded(out, previous == bos_id_, token);
  return out;
}

}  // namespace slm
