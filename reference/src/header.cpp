// Header and section-table checks (spec/format.md sections 3, 4 and 9; check order 1-14).
#include <algorithm>
#include <string>

#include "check.h"
#include "slm/bytes.h"
#include "slm/decode.h"

namespace slm {
namespace {

Status check_reserved_zero(std::span<const std::uint8_t> h, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    if (fails(ErrorCode::E_HDR_RESERVED, h[i] != 0)) return make_error(ErrorCode::E_HDR_RESERVED, i);
  }
  return Status::success();
}

struct HparamLimit {
  std::size_t offset;
  std::uint32_t max;
  const char* name;
  std::uint32_t Hyperparameters::*field;
};

// SLM-LIM-002, in its order: the one table for the validator (check 10) and the generators.
constexpr HparamLimit kHparamLimits[] = {
    {hdr::kVocabSize, limits::kMaxVocab, "vocab_size", &Hyperparameters::vocab_size},
    {hdr::kDim, limits::kMaxDim, "dim", &Hyperparameters::dim},
    {hdr::kHiddenDim, limits::kMaxHiddenDim, "hidden_dim", &Hyperparameters::hidden_dim},
    {hdr::kLayers, limits::kMaxLayers, "n_layers", &Hyperparameters::n_layers},
    {hdr::kHeads, limits::kMaxHeads, "n_heads", &Hyperparameters::n_heads},
    {hdr::kKvHeads, limits::kMaxHeads, "n_kv_heads", &Hyperparameters::n_kv_heads},
    {hdr::kMaxSeqLen, limits::kMaxSeqLen, "max_seq_len", &Hyperparameters::max_seq_len},
};

Section read_section(const std::uint8_t* h, std::size_t at) { return {load_u64(h + at), load_u64(h + at + 8)}; }

}  // namespace

Status check_hparam_limits(const Hyperparameters& hp) {
  for (const auto& lim : kHparamLimits) {
    const std::uint32_t v = hp.*lim.field;
    if (fails(ErrorCode::E_LIMIT_HPARAM, v > lim.max)) {
      return make_error(ErrorCode::E_LIMIT_HPARAM, lim.offset,
                        std::string(lim.name) + " " + std::to_string(v) + " exceeds " + std::to_string(lim.max));
    }
  }
  return Status::success();
}

Status decode_header(std::span<const std::uint8_t> prefix, std::uint64_t file_size, Header& out) {
  const std::size_t have = prefix.size();
  // 1. magic, compared over the bytes that exist
  for (std::size_t i = 0; i < std::min<std::size_t>(have, 4); ++i) {
    if (fails(ErrorCode::E_HDR_MAGIC, prefix[i] != kMagic[i])) return make_error(ErrorCode::E_HDR_MAGIC, i);
  }
  // 2. version, when the file has its 8 bytes
  if (fails(ErrorCode::E_HDR_VERSION, have >= 8 && load_u32(&prefix[hdr::kVersion]) != kFormatVersion)) {
    return make_error(ErrorCode::E_HDR_VERSION, hdr::kVersion,
                      "format version " + std::to_string(load_u32(&prefix[hdr::kVersion])) + " is not 1");
  }
  // 3. the whole fixed header
  if (fails(ErrorCode::E_HDR_TRUNCATED, file_size < kHeaderLength)) return make_error(ErrorCode::E_HDR_TRUNCATED, file_size);
  const std::uint8_t* h = prefix.data();
  out.version = load_u32(h + hdr::kVersion);
  out.header_length = load_u32(h + hdr::kHeaderLength);
  out.flags = load_u32(h + hdr::kFlags);
  out.file_length = load_u64(h + hdr::kFileLength);
  out.checksum = load_u64(h + hdr::kChecksum);
  // 4-7. header length and the declared file length
  if (fails(ErrorCode::E_HDR_LENGTH, out.header_length != kHeaderLength)) return make_error(ErrorCode::E_HDR_LENGTH, hdr::kHeaderLength);
  if (fails(ErrorCode::E_LIMIT_FILE_SIZE, out.file_length > limits::kMaxFileLength)) return make_error(ErrorCode::E_LIMIT_FILE_SIZE, hdr::kFileLength);
  if (fails(ErrorCode::E_FILE_TRUNCATED, file_size < out.file_length)) {
    return make_error(ErrorCode::E_FILE_TRUNCATED, file_size,
                      "file has " + std::to_string(file_size) + " bytes, header declares " +
                          std::to_string(out.file_length));
  }
  if (fails(ErrorCode::E_FILE_TRAILING, file_size > out.file_length)) return make_error(ErrorCode::E_FILE_TRAILING, out.file_length);
  // 8-9. flags and reserved bytes
  if (fails(ErrorCode::E_HDR_FLAGS, (out.flags & ~kKnownHeaderFlags) != 0)) return make_error(ErrorCode::E_HDR_FLAGS, hdr::kFlags);
  if (auto s = check_reserved_zero(prefix, hdr::kReserved0, hdr::kReserved0 + 4); !s.ok()) return s;
  if (auto s = check_reserved_zero(prefix, hdr::kReserved1, hdr::kReserved1 + 4); !s.ok()) return s;
  if (auto s = check_reserved_zero(prefix, hdr::kReservedTail, kHeaderLength); !s.ok()) return s;
  // 10. hyperparameter limits
  auto& hp = out.hparams;
  for (const auto& lim : kHparamLimits) hp.*lim.field = load_u32(h + lim.offset);
  if (auto s = check_hparam_limits(hp); !s.ok()) return s;
  hp.norm_eps = load_f32(h + hdr::kNormEps);
  hp.rope_theta = load_f32(h + hdr::kRopeTheta);
  auto& id = out.identity;
  id.parameter_count = load_u64(h + hdr::kParamCount);
  id.tensor_count = load_u32(h + hdr::kTensorCount);
  id.flags = out.flags;
  id.layout_checksum = load_u64(h + hdr::kLayoutChecksum);
  id.tokenizer_checksum = load_u64(h + hdr::kTokenizerChecksum);
  std::copy_n(h + hdr::kDigest, 32, id.content_digest.begin());
  out.tokenizer = read_section(h, hdr::kTokenizerOffset);
  out.directory = read_section(h, hdr::kDirectoryOffset);
  out.data = read_section(h, hdr::kDataOffset);
  // 11-12. counts and sizes that bound what a reader allocates
  if (fails(ErrorCode::E_LIMIT_TENSOR_COUNT, id.tensor_count > limits::kMaxTensorCount)) {
    return make_error(ErrorCode::E_LIMIT_TENSOR_COUNT, hdr::kTensorCount,
                      "tensor_count " + std::to_string(id.tensor_count) + " exceeds " +
                          std::to_string(limits::kMaxTensorCount));
  }
  if (fails(ErrorCode::E_LIMIT_TOKENIZER_SIZE, out.tokenizer.length > limits::kMaxTokenizerLength)) {
    return make_error(ErrorCode::E_LIMIT_TOKENIZER_SIZE, hdr::kTokenizerLength);
  }
  // 13. every section inside [256, file_length]
  const std::pair<const Section*, std::size_t> sections[] = {
      {&out.tokenizer, hdr::kTokenizerOffset}, {&out.directory, hdr::kDirectoryOffset}, {&out.data, hdr::kDataOffset}};
  for (const auto& [section, field] : sections) {
    std::uint64_t end = 0;
    if (fails(ErrorCode::E_SECTION_RANGE, section->offset < kHeaderLength || !checked_add(section->offset, section->length, end) ||
        end > out.file_length)) {
      return make_error(ErrorCode::E_SECTION_RANGE, field);
    }
  }
  // 14. canonical positions: header | tokenizer | zero padding to 64 | directory | data, data ends the file
  std::uint64_t directory_at = 0;
  checked_align_up(out.tokenizer.offset + out.tokenizer.length, kAlignment, directory_at);  // in range: see 13
  if (fails(ErrorCode::E_SECTION_LAYOUT, out.tokenizer.offset != kHeaderLength)) {
    return make_error(ErrorCode::E_SECTION_LAYOUT, hdr::kTokenizerOffset, "tokenizer section must start at 256");
  }
  if (fails(ErrorCode::E_SECTION_LAYOUT, out.directory.offset != directory_at)) {
    return make_error(ErrorCode::E_SECTION_LAYOUT, hdr::kDirectoryOffset,
                      "directory must start at " + std::to_string(directory_at));
  }
  if (fails(ErrorCode::E_SECTION_LAYOUT, out.directory.length != std::uint64_t{id.tensor_count} * kDirectoryEntrySize)) {
    return make_error(ErrorCode::E_SECTION_LAYOUT, hdr::kDirectoryLength,
                      "directory_length must be tensor_count * 128");
  }
  if (fails(ErrorCode::E_SECTION_LAYOUT, out.data.offset != out.directory.offset + out.directory.length)) {
    return make_error(ErrorCode::E_SECTION_LAYOUT, hdr::kDataOffset, "data section must follow the directory");
  }
  if (fails(ErrorCode::E_SECTION_LAYOUT, out.data.offset + out.data.length != out.file_length)) {
    return make_error(ErrorCode::E_SECTION_LAYOUT, hdr::kDataLength, "data section must end the file");
  }
  return Status::success();
}

}  // namespace slm
