// Runs the checks of spec/format.md section 7 in order: header and sections (1-14), tokenizer
// structure (15-20), directory (21-34), the streaming pass (35-36), semantics and identity (37-49), digest (50).
#include "check.h"
#include "slm/validate.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "slm/architecture.h"
#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slm/decode.h"
#include "slm/xxh64.h"

namespace slm {
namespace {

constexpr std::size_t kChunkSize = 256 * 1024;  // stays in L2 while it is hashed

struct ByteRange {
  std::uint64_t begin, end;
};

// Zero-padding ranges in file order: after the tokenizer, after each tensor.
std::vector<ByteRange> padding_ranges(const Header& h, const std::vector<TensorEntry>& tensors) {
  std::vector<ByteRange> out;
  out.push_back({h.tokenizer.offset + h.tokenizer.length, h.directory.offset});
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::uint64_t end = h.data.offset + tensors[i].offset + tensors[i].byte_size;
    const std::uint64_t next = i + 1 < tensors.size() ? h.data.offset + tensors[i + 1].offset : h.data.offset + h.data.length;
    out.push_back({end, next});
  }
  return out;
}

// Checks 35-36: one pass over the file; padding must be zero, then the checksum must match.
Status stream_pass(ByteSource& source, const Header& h, const std::vector<TensorEntry>& tensors,
                   bool with_digest, Digest256& digest_out) {
  const std::vector<ByteRange> padding = padding_ranges(h, tensors);
  std::size_t next_padding = 0;
  FileHasher hasher(with_digest);
  std::vector<std::uint8_t> storage;  // a chunk's copy, unless the source is in memory
  for (std::uint64_t at = 0; at < h.file_length;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunkSize, h.file_length - at));
    auto viewed = source.view(at, n, storage);
    if (!viewed.ok()) return viewed.status();
    const std::span<const std::uint8_t> buffer = viewed.value();
    const std::uint64_t chunk_end = at + n;
    while (next_padding < padding.size() && padding[next_padding].begin < chunk_end) {
      const ByteRange& r = padding[next_padding];
      for (std::uint64_t p = std::max(r.begin, at); p < std::min(r.end, chunk_end); ++p) {
        if (fails(ErrorCode::E_LAYOUT_PADDING, buffer[static_cast<std::size_t>(p - at)] != 0)) return make_error(ErrorCode::E_LAYOUT_PADDING, p);
      }
      if (r.end > chunk_end) break;  // the range continues into the next chunk
      ++next_padding;
    }
    hasher.update(at, buffer);
    at = chunk_end;
  }
  const std::uint64_t actual = hasher.checksum();
  if (fails(ErrorCode::E_FILE_CHECKSUM, actual != h.checksum)) {
    char text[80];
    std::snprintf(text, sizeof text, "checksum is %016llx, header says %016llx", static_cast<unsigned long long>(actual),
                  static_cast<unsigned long long>(h.checksum));
    return make_error(ErrorCode::E_FILE_CHECKSUM, hdr::kChecksum, text);
  }
  if (with_digest) digest_out = hasher.digest();
  return Status::success();
}

// Checks 43-46: the directory is exactly the architecture's tensors, in order, with their shapes.
Status validate_model_tensors(const Header& h, const std::vector<TensorEntry>& tensors) {
  const bool untied = (h.flags & kFlagUntiedOutput) != 0;
  const std::uint64_t expected_count = required_tensor_count(h.hparams.n_layers, untied);
  if (fails(ErrorCode::E_MODEL_TENSOR_COUNT, tensors.size() != expected_count)) {
    return make_error(ErrorCode::E_MODEL_TENSOR_COUNT, hdr::kTensorCount,
                      "directory has " + std::to_string(tensors.size()) + " tensors, the architecture needs " +
                          std::to_string(expected_count));
  }
  const std::vector<RequiredTensor> required = required_tensors(h.hparams, untied);
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::uint64_t at = h.directory.offset + i * kDirectoryEntrySize;
    const TensorEntry& t = tensors[i];
    if (fails(ErrorCode::E_MODEL_TENSOR_NAME, t.name != required[i].name)) {
      return make_error(ErrorCode::E_MODEL_TENSOR_NAME, at,
                        "entry " + std::to_string(i) + " is '" + t.name + "', expected '" + required[i].name + "'");
    }
    if (fails(ErrorCode::E_MODEL_TENSOR_SHAPE, t.shape() != required[i].shape)) return make_error(ErrorCode::E_MODEL_TENSOR_SHAPE, at + 68, "tensor '" + t.name + "'");
    if (fails(ErrorCode::E_MODEL_TENSOR_DTYPE, required[i].norm && t.dtype != DType::F32)) {
      return make_error(ErrorCode::E_MODEL_TENSOR_DTYPE, at + 64, "norm weight '" + t.name + "' must be f32");
    }
  }
  return Status::success();
}

// Checks 47-49: the identity block matches what it summarises.
Status validate_identity(const Header& h, const std::vector<TensorEntry>& tensors,
                         std::span<const std::uint8_t> tokenizer_bytes, std::span<const std::uint8_t> directory_bytes) {
  std::uint64_t parameters = 0;
  for (const auto& t : tensors) parameters += t.elements();  // each <= 2^40, count <= 2^14: no overflow
  if (fails(ErrorCode::E_ID_PARAM_COUNT, parameters != h.identity.parameter_count)) {
    return make_error(ErrorCode::E_ID_PARAM_COUNT, hdr::kParamCount,
                      "parameter_count " + std::to_string(h.identity.parameter_count) + ", tensors hold " +
                          std::to_string(parameters));
  }
  if (fails(ErrorCode::E_ID_LAYOUT_CHECKSUM, xxh64(directory_bytes) != h.identity.layout_checksum)) return make_error(ErrorCode::E_ID_LAYOUT_CHECKSUM, hdr::kLayoutChecksum);
  if (fails(ErrorCode::E_ID_TOKENIZER_CHECKSUM, xxh64(tokenizer_bytes) != h.identity.tokenizer_checksum)) {
    return make_error(ErrorCode::E_ID_TOKENIZER_CHECKSUM, hdr::kTokenizerChecksum);
  }
  return Status::success();
}

}  // namespace

Status validate_hparams(const Hyperparameters& hp) {
  struct Field {
    std::uint32_t value;
    std::size_t offset;
    const char* name;
  };
  const Field nonzero[] = {{hp.vocab_size, hdr::kVocabSize, "vocab_size"}, {hp.dim, hdr::kDim, "dim"},
                           {hp.hidden_dim, hdr::kHiddenDim, "hidden_dim"}, {hp.n_layers, hdr::kLayers, "n_layers"},
                           {hp.n_heads, hdr::kHeads, "n_heads"},          {hp.n_kv_heads, hdr::kKvHeads, "n_kv_heads"},
                           {hp.max_seq_len, hdr::kMaxSeqLen, "max_seq_len"}};
  for (const auto& f : nonzero) {
    if (fails(ErrorCode::E_HPARAM_INVALID, f.value == 0)) return make_error(ErrorCode::E_HPARAM_INVALID, f.offset, std::string(f.name) + " is zero");
  }
  if (fails(ErrorCode::E_HPARAM_INVALID, hp.dim % hp.n_heads != 0)) return make_error(ErrorCode::E_HPARAM_INVALID, hdr::kHeads, "n_heads does not divide dim");
  if (fails(ErrorCode::E_HPARAM_INVALID, (hp.dim / hp.n_heads) % 2 != 0)) return make_error(ErrorCode::E_HPARAM_INVALID, hdr::kHeads, "head dim is odd");
  if (fails(ErrorCode::E_HPARAM_INVALID, hp.n_kv_heads > hp.n_heads || hp.n_heads % hp.n_kv_heads != 0)) {
    return make_error(ErrorCode::E_HPARAM_INVALID, hdr::kKvHeads, "n_kv_heads does not divide n_heads");
  }
  if (fails(ErrorCode::E_HPARAM_INVALID, !std::isfinite(hp.norm_eps) || !(hp.norm_eps > 0))) {
    return make_error(ErrorCode::E_HPARAM_INVALID, hdr::kNormEps, "norm_eps must be finite and > 0");
  }
  if (fails(ErrorCode::E_HPARAM_INVALID, !std::isfinite(hp.rope_theta) || !(hp.rope_theta > 0))) {
    return make_error(ErrorCode::E_HPARAM_INVALID, hdr::kRopeTheta, "rope_theta must be finite and > 0");
  }
  return Status::success();
}

Status validate_tokenizer(const DecodedTokenizer& decoded, const Hyperparameters& hp, std::uint64_t base) {
  const Tokenizer& t = decoded.tokenizer;
  // 38. vocabulary size
  const bool byte_kind = t.kind == TokenizerKind::BYTE;
  if (fails(ErrorCode::E_TOK_VOCAB, (byte_kind && t.n_pieces != kByteVocabSize) || (!byte_kind && t.n_pieces < kByteVocabSize) ||
      t.n_pieces != hp.vocab_size)) {
    return make_error(ErrorCode::E_TOK_VOCAB, base + 8,
                      "tokenizer has " + std::to_string(t.n_pieces) + " pieces, vocab_size is " +
                          std::to_string(hp.vocab_size));
  }
  // 39. special ids
  if (fails(ErrorCode::E_TOK_SPECIAL, t.bos_id >= kFirstBytePiece)) return make_error(ErrorCode::E_TOK_SPECIAL, base + 12);
  if (fails(ErrorCode::E_TOK_SPECIAL, t.eos_id >= kFirstBytePiece || t.eos_id == t.bos_id)) return make_error(ErrorCode::E_TOK_SPECIAL, base + 16);
  if (byte_kind) return Status::success();
  // 40. byte-fallback pieces at ids 3..258
  static const char* hex = "0123456789ABCDEF";
  for (std::uint32_t b = 0; b < 256; ++b) {
    const std::string want = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
    if (fails(ErrorCode::E_TOK_BYTE_PIECES, t.pieces[kFirstBytePiece + b].bytes != want)) {
      return make_error(ErrorCode::E_TOK_BYTE_PIECES, decoded.piece_offsets[kFirstBytePiece + b],
                        "piece " + std::to_string(kFirstBytePiece + b) + " must be " + want);
    }
  }
  // 41. finite scores
  for (std::size_t i = 0; i < t.pieces.size(); ++i) {
    if (fails(ErrorCode::E_TOK_SCORE, !std::isfinite(t.pieces[i].score))) {
      return make_error(ErrorCode::E_TOK_SCORE, decoded.piece_offsets[i], "piece " + std::to_string(i) + " score");
    }
  }
  // 42. unique piece bytes: report the smallest id that repeats an earlier piece
  std::vector<std::uint32_t> order(t.pieces.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return t.pieces[a].bytes != t.pieces[b].bytes ? t.pieces[a].bytes < t.pieces[b].bytes : a < b;
  });
  std::uint32_t first_repeat = UINT32_MAX;
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (t.pieces[order[k]].bytes == t.pieces[order[k - 1]].bytes) first_repeat = std::min(first_repeat, order[k]);
  }
  if (fails(ErrorCode::E_TOK_DUPLICATE, first_repeat != UINT32_MAX)) {
    return make_error(ErrorCode::E_TOK_DUPLICATE, decoded.piece_offsets[first_repeat],
                      "piece " + std::to_string(first_repeat) + " repeats an earlier piece");
  }
  return Status::success();
}

Result<ModelInfo> validate_model(ByteSource& source, const ValidateOptions& options) {
  const std::uint64_t size = source.size();
  ModelInfo info;
  // 1-14. header and section table
  std::vector<std::uint8_t> prefix(static_cast<std::size_t>(std::min<std::uint64_t>(size, kHeaderLength)));
  if (auto s = source.read(0, prefix); !s.ok()) return s;
  if (auto s = decode_header(prefix, size, info.header); !s.ok()) return s;
  const Header& h = info.header;
  // 15-20. tokenizer structure (length bounded by check 12)
  std::vector<std::uint8_t> tokenizer_storage, directory_storage;  // copies, unless the source is in memory
  auto tokenizer_view = source.view(h.tokenizer.offset, static_cast<std::size_t>(h.tokenizer.length), tokenizer_storage);
  if (!tokenizer_view.ok()) return tokenizer_view.status();
  const std::span<const std::uint8_t> tokenizer_bytes = tokenizer_view.value();
  DecodedTokenizer tokenizer;
  if (auto s = decode_tokenizer(tokenizer_bytes, h.tokenizer.offset, tokenizer); !s.ok()) return s;
  // 21-34. directory (length = tensor_count * 128, bounded by check 11)
  auto directory_view = source.view(h.directory.offset, static_cast<std::size_t>(h.directory.length), directory_storage);
  if (!directory_view.ok()) return directory_view.status();
  const std::span<const std::uint8_t> directory_bytes = directory_view.value();
  if (auto s = decode_directory(directory_bytes, h.directory.offset, h, info.tensors); !s.ok()) return s;
  // 35-36. padding and checksum, streaming
  Digest256 digest{};
  if (auto s = stream_pass(source, h, info.tensors, options.verify_digest, digest); !s.ok()) return s;
  // 37-49. semantics and identity
  if (auto s = validate_hparams(h.hparams); !s.ok()) return s;
  if (auto s = validate_tokenizer(tokenizer, h.hparams, h.tokenizer.offset); !s.ok()) return s;
  if (auto s = validate_model_tensors(h, info.tensors); !s.ok()) return s;
  if (auto s = validate_identity(h, info.tensors, tokenizer_bytes, directory_bytes); !s.ok()) return s;
  // 50. content digest, when asked
  if (fails(ErrorCode::E_ID_DIGEST, options.verify_digest && digest != h.identity.content_digest)) {
    return make_error(ErrorCode::E_ID_DIGEST, hdr::kDigest, "content digest is " + to_hex(digest));
  }
  info.tokenizer = std::move(tokenizer.tokenizer);
  return info;
}

Result<ModelInfo> validate_model(std::span<const std::uint8_t> bytes, const ValidateOptions& options) {
  SpanSource source(bytes);
  return validate_model(source, options);
}

}  // namespace slm
