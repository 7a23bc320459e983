// SLM1 container layout: constants and decoded structures (spec/format.md sections 2-6).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "slm/sha256.h"

namespace slm {

inline constexpr std::array<std::uint8_t, 4> kMagic = {'S', 'L', 'M', '1'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::uint32_t kHeaderLength = 256;
inline constexpr std::uint64_t kAlignment = 64;          // section and tensor alignment
inline constexpr std::uint64_t kDirectoryEntrySize = 128;
inline constexpr std::uint32_t kMaxNameLength = 62;
inline constexpr std::uint32_t kMaxRank = 4;
inline constexpr std::uint32_t kBlockSize = 32;           // elements per q8_0 / q4_0 block
inline constexpr std::uint64_t kTokenizerHeaderSize = 24;

// Header field offsets (spec/format.md section 3).
namespace hdr {
inline constexpr std::size_t kMagic = 0, kVersion = 4, kHeaderLength = 8, kFlags = 12, kFileLength = 16,
                             kChecksum = 24, kDigest = 32, kVocabSize = 64, kDim = 68, kHiddenDim = 72,
                             kLayers = 76, kHeads = 80, kKvHeads = 84, kMaxSeqLen = 88, kNormEps = 92,
                             kRopeTheta = 96, kReserved0 = 100, kParamCount = 104, kTensorCount = 112,
                             kReserved1 = 116, kLayoutChecksum = 120, kTokenizerChecksum = 128,
                             kTokenizerOffset = 136, kTokenizerLength = 144, kDirectoryOffset = 152,
                             kDirectoryLength = 160, kDataOffset = 168, kDataLength = 176, kReservedTail = 184;
}  // namespace hdr

inline constexpr std::uint32_t kFlagUntiedOutput = 1u << 0;
inline constexpr std::uint32_t kKnownHeaderFlags = kFlagUntiedOutput;

// Limits (spec/format.md section 9): no validator allocates beyond what these allow.
namespace limits {
inline constexpr std::uint64_t kMaxFileLength = 1ull << 48;
inline constexpr std::uint32_t kMaxVocab = 1u << 20;
inline constexpr std::uint32_t kMaxDim = 1u << 16;
inline constexpr std::uint32_t kMaxHiddenDim = 1u << 18;
inline constexpr std::uint32_t kMaxLayers = 1024;
inline constexpr std::uint32_t kMaxHeads = 1024;
inline constexpr std::uint32_t kMaxSeqLen = 1u << 20;
inline constexpr std::uint32_t kMaxTensorCount = 16384;
inline constexpr std::uint64_t kMaxTokenizerLength = 16ull << 20;  // keeps validation under 64 MiB RSS
inline constexpr std::uint32_t kMaxPieceLength = 1024;
inline constexpr std::uint64_t kMaxTensorElements = 1ull << 40;
}  // namespace limits

enum class DType : std::uint32_t { F32 = 0, Q4_0 = 2, Q8_0 = 8 };  // ggml's type ids

bool is_known_dtype(std::uint32_t raw);
std::string_view dtype_name(DType dtype);
bool parse_dtype(std::string_view name, DType& out);
// Bytes of `elements` values; elements must be a multiple of kBlockSize for quantized types.
std::uint64_t dtype_bytes(DType dtype, std::uint64_t elements);

struct Hyperparameters {
  std::uint32_t vocab_size = 0, dim = 0, hidden_dim = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0,
                max_seq_len = 0;
  float norm_eps = 0, rope_theta = 0;
  bool operator==(const Hyperparameters&) const = default;
};

// What an adapter binds to (spec/format.md section 8.4).
struct Identity {
  std::uint64_t parameter_count = 0;
  std::uint32_t tensor_count = 0;
  std::uint32_t flags = 0;
  std::uint64_t layout_checksum = 0;
  std::uint64_t tokenizer_checksum = 0;
  Digest256 content_digest{};
  bool operator==(const Identity&) const = default;
};

struct Section {
  std::uint64_t offset = 0, length = 0;
};

struct Header {
  std::uint32_t version = 0, header_length = 0, flags = 0;
  std::uint64_t file_length = 0, checksum = 0;
  Hyperparameters hparams;
  Identity identity;  // identity.flags mirrors flags
  Section tokenizer, directory, data;
};

struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::uint32_t rank = 0;
  std::array<std::uint64_t, kMaxRank> dims{};  // row-major: dims[rank-1] is contiguous
  std::uint64_t offset = 0;                    // relative to the data section
  std::uint64_t byte_size = 0;

  std::uint64_t elements() const;
  std::vector<std::uint64_t> shape() const { return {dims.begin(), dims.begin() + rank}; }
};

enum class TokenizerKind : std::uint32_t { BYTE = 1, BPE = 2 };
inline constexpr std::uint32_t kTokFlagDummyPrefix = 1u << 0;
inline constexpr std::uint32_t kKnownTokenizerFlags = kTokFlagDummyPrefix;
inline constexpr std::uint32_t kByteVocabSize = 259;  // <unk>, <s>, </s>, 256 byte pieces
inline constexpr std::uint32_t kFirstBytePiece = 3;

struct TokenizerPiece {
  std::string bytes;
  float score = 0;
  bool operator==(const TokenizerPiece&) const = default;
};

struct Tokenizer {
  TokenizerKind kind = TokenizerKind::BYTE;
  std::uint32_t flags = 0;
  std::uint32_t n_pieces = 0;
  std::uint32_t bos_id = 1, eos_id = 2;
  std::vector<TokenizerPiece> pieces;  // empty for BYTE (the vocabulary is implied)
  bool operator==(const Tokenizer&) const = default;
};

}  // namespace slm
