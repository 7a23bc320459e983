#include "slmgen/negatives.h"

#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slm/format.h"
#include "slmgen/model_gen.h"

namespace slmgen {
namespace {

using slm::ErrorCode;
using Bytes = std::vector<std::uint8_t>;
namespace hdr = slm::hdr;

ModelOptions base_options() {
  ModelOptions o = *preset("tiny");
  o.untied_output = true;
  o.output_dtype = slm::DType::Q4_0;
  o.ffn_dtype = slm::DType::Q4_0;  // keeps each committed negative near 20 KB
  o.seed = 7;
  return o;
}

ModelOptions base_bpe_options() {
  ModelOptions o = base_options();
  o.tokenizer = slm::TokenizerKind::BPE;
  o.hparams.vocab_size = 300;
  return o;
}

std::uint64_t u64_at(const Bytes& f, std::size_t at) { return slm::load_u64(f.data() + at); }
std::size_t entry_at(const Bytes& f, std::size_t i) {
  return static_cast<std::size_t>(u64_at(f, hdr::kDirectoryOffset)) + i * slm::kDirectoryEntrySize;
}
std::size_t tokenizer_at(const Bytes& f) { return static_cast<std::size_t>(u64_at(f, hdr::kTokenizerOffset)); }

// What is recomputed after an edit, so that the file breaks only the rule the edit targets.
enum class Reseal {
  ALL,       // layout and tokenizer checksums (where the sections can be located), digest, checksum
  SEAL,      // digest and checksum only: for edits that target an identity field
  NONE,      // nothing: for edits that target the checksum, or files too short to hold it
};

class Builder {
public:
  // A byte-level edit of a valid file, then re-sealed as `mode` says.
  void edit(std::string id, ErrorCode code, std::string what, const Bytes& base, const std::function<void(Bytes&)>& fn,
            Reseal mode = Reseal::ALL) {
    Bytes f = base;
    fn(f);
    if (mode == Reseal::ALL) slm::reseal_identity(f);
    if (mode != Reseal::NONE) slm::reseal(f);
    out.push_back({std::move(id), code, std::move(what), std::move(f), false});
  }
  // A consistent file written from an edited description (every derived field correct).
  void describe(std::string id, ErrorCode code, std::string what, const ModelOptions& options,
                const std::function<void(slm::ModelDescription&)>& fn) {
    slm::ModelDescription m = generate_model(options);
    fn(m);
    out.push_back({std::move(id), code, std::move(what), slm::write_model(m), false});
  }
  std::vector<NegativeCase> out;
};

void set_u32(Bytes& f, std::size_t at, std::uint32_t v) { slm::store_u32(f.data() + at, v); }
void set_u64(Bytes& f, std::size_t at, std::uint64_t v) { slm::store_u64(f.data() + at, v); }
void set_f32(Bytes& f, std::size_t at, float v) { slm::store_f32(f.data() + at, v); }

}  // namespace

Bytes negatives_base_model() { return slm::write_model(generate_model(base_options())); }
Bytes negatives_base_bpe_model() { return slm::write_model(generate_model(base_bpe_options())); }

std::vector<NegativeCase> make_negatives() {
  const Bytes base = negatives_base_model();
  const Bytes bpe = negatives_base_bpe_model();
  const ModelOptions opts = base_options();
  const ModelOptions bpe_opts = base_bpe_options();
  Builder b;

  // Header (checks 1-12)
  b.edit("header/bad-magic", ErrorCode::E_HDR_MAGIC, "magic GGUF instead of SLM1", base,
         [](Bytes& f) { f[0] = 'G'; f[1] = 'G'; f[2] = 'U'; f[3] = 'F'; });
  b.edit("header/future-version", ErrorCode::E_HDR_VERSION, "format version 2", base,
         [](Bytes& f) { set_u32(f, hdr::kVersion, 2); });
  b.edit("header/truncated-header", ErrorCode::E_HDR_TRUNCATED, "file cut to 100 bytes, inside the header", base,
         [](Bytes& f) { f.resize(100); }, Reseal::NONE);
  b.edit("header/header-length-past-end", ErrorCode::E_HDR_LENGTH, "header_length larger than the file", base,
         [](Bytes& f) { set_u32(f, hdr::kHeaderLength, static_cast<std::uint32_t>(f.size() + 64)); });
  b.edit("header/file-length-over-limit", ErrorCode::E_LIMIT_FILE_SIZE, "file_length 2^48 + 64", base,
         [](Bytes& f) { set_u64(f, hdr::kFileLength, (1ull << 48) + 64); });
  b.edit("header/truncated-file", ErrorCode::E_FILE_TRUNCATED, "last 64 bytes removed", base,
         [](Bytes& f) { f.resize(f.size() - 64); });
  b.edit("header/trailing-bytes", ErrorCode::E_FILE_TRAILING, "a zip end-of-directory record appended (polyglot)",
         base, [](Bytes& f) {
           const std::uint8_t eocd[22] = {'P', 'K', 5, 6};
           f.insert(f.end(), eocd, eocd + sizeof eocd);
         });
  b.edit("header/unknown-flag", ErrorCode::E_HDR_FLAGS, "flag bit 1 set", base,
         [](Bytes& f) { set_u32(f, hdr::kFlags, slm::load_u32(f.data() + hdr::kFlags) | 2u); });
  b.edit("header/reserved-byte", ErrorCode::E_HDR_RESERVED, "reserved header byte 200 is 1", base,
         [](Bytes& f) { f[200] = 1; });
  b.edit("header/reserved-word", ErrorCode::E_HDR_RESERVED, "reserved word at 116 is non-zero", base,
         [](Bytes& f) { set_u32(f, hdr::kReserved1, 7); });
  // the last byte of each reserved range: a reader that checks one byte short misses these
  b.edit("header/reserved0-last-byte", ErrorCode::E_HDR_RESERVED, "byte 103, the last of the reserved word at 100, is 1", base,
         [](Bytes& f) { f[hdr::kReserved0 + 3] = 1; });
  b.edit("header/reserved1-last-byte", ErrorCode::E_HDR_RESERVED, "byte 119, the last of the reserved word at 116, is 1", base,
         [](Bytes& f) { f[hdr::kReserved1 + 3] = 1; });
  b.edit("header/reserved-tail-last-byte", ErrorCode::E_HDR_RESERVED, "byte 255, the last of the header, is 1", base,
         [](Bytes& f) { f[slm::kHeaderLength - 1] = 1; });
  b.edit("limits/vocab-size", ErrorCode::E_LIMIT_HPARAM, "vocab_size 2^20 + 1", base,
         [](Bytes& f) { set_u32(f, hdr::kVocabSize, (1u << 20) + 1); });
  b.edit("limits/dim", ErrorCode::E_LIMIT_HPARAM, "dim 2^31", base, [](Bytes& f) { set_u32(f, hdr::kDim, 1u << 31); });
  b.edit("limits/tensor-count-bomb", ErrorCode::E_LIMIT_TENSOR_COUNT,
         "a 256-byte file declaring 2^32 - 1 tensors", base, [](Bytes& f) {
           f.resize(256);
           set_u64(f, hdr::kFileLength, 256);
           set_u32(f, hdr::kTensorCount, 0xFFFFFFFFu);
         });
  b.edit("limits/tokenizer-size", ErrorCode::E_LIMIT_TOKENIZER_SIZE, "tokenizer_length 16 MiB + 1", base,
         [](Bytes& f) { set_u64(f, hdr::kTokenizerLength, (16ull << 20) + 1); });
  // At the limit the length is allowed (check 12) and the section then runs past the file (check 13).
  b.edit("limits/tokenizer-size-at-limit", ErrorCode::E_SECTION_RANGE, "tokenizer_length exactly 16 MiB: within the limit, past the end",
         base, [](Bytes& f) { set_u64(f, hdr::kTokenizerLength, 16ull << 20); });

  // Section table (checks 13-14)
  b.edit("sections/tokenizer-out-of-range", ErrorCode::E_SECTION_RANGE, "tokenizer section runs past the end",
         base, [](Bytes& f) { set_u64(f, hdr::kTokenizerLength, f.size()); });
  b.edit("sections/offset-overflow", ErrorCode::E_SECTION_RANGE, "data_offset + data_length wraps around 2^64",
         base, [](Bytes& f) { set_u64(f, hdr::kDataLength, ~0ull - 100); });
  b.edit("sections/directory-moved", ErrorCode::E_SECTION_LAYOUT, "directory 64 bytes later than canonical", base,
         [](Bytes& f) { set_u64(f, hdr::kDirectoryOffset, u64_at(f, hdr::kDirectoryOffset) + 64); });
  b.edit("sections/directory-length", ErrorCode::E_SECTION_LAYOUT, "directory_length not tensor_count * 128", base,
         [](Bytes& f) { set_u64(f, hdr::kDirectoryLength, u64_at(f, hdr::kDirectoryLength) - 128); });

  // Tokenizer structure (checks 15-20)
  b.edit("tokenizer/piece-count-past-end", ErrorCode::E_TOK_TRUNCATED, "n_pieces one more than the records", bpe,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 8, slm::load_u32(f.data() + tokenizer_at(f) + 8) + 1); });
  b.edit("tokenizer/unknown-kind", ErrorCode::E_TOK_KIND, "tokenizer kind 3", base,
         [](Bytes& f) { set_u32(f, tokenizer_at(f), 3); });
  b.edit("tokenizer/reserved-flag", ErrorCode::E_TOK_RESERVED, "tokenizer flag bit 1", base,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 4, 2); });
  b.edit("tokenizer/reserved-word", ErrorCode::E_TOK_RESERVED, "the reserved word at tokenizer offset 20 is 1", base,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 20, 1); });
  b.edit("tokenizer/piece-count-bomb", ErrorCode::E_LIMIT_VOCAB, "n_pieces 2^32 - 1 in a small section", bpe,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 8, 0xFFFFFFFFu); });
  b.edit("tokenizer/byte-kind-piece-count-bomb", ErrorCode::E_LIMIT_VOCAB, "BYTE tokenizer declaring 2^20 + 1 pieces",
         base, [](Bytes& f) { set_u32(f, tokenizer_at(f) + 8, (1u << 20) + 1); });
  b.edit("tokenizer/empty-piece", ErrorCode::E_TOK_PIECE_LENGTH, "piece 0 has length 0", bpe,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 24 + 4, 0); });
  b.edit("tokenizer/piece-length-bomb", ErrorCode::E_TOK_PIECE_LENGTH, "piece 0 has length 2^32 - 1", bpe,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 24 + 4, 0xFFFFFFFFu); });
  b.describe("tokenizer/trailing-piece", ErrorCode::E_TOK_TRAILING, "one piece record more than n_pieces", bpe_opts,
             [](slm::ModelDescription& m) { m.tokenizer.n_pieces -= 1; });

  // Directory entries (checks 21-34); entry 0 is tok_embeddings (q8_0), 1 attention_norm (f32),
  // 2 wq (q4_0 [32, 32]), 3 wk, 4 wv.
  b.describe("tensors/name-charset", ErrorCode::E_TENSOR_NAME, "tensor name with an upper-case letter", opts,
             [](slm::ModelDescription& m) { m.tensors[1].name = "layers.0.Attention_norm.weight"; });
  b.edit("tensors/name-too-long", ErrorCode::E_TENSOR_NAME, "name_length 63", base,
         [](Bytes& f) { slm::store_u16(f.data() + entry_at(f, 0), 63); });
  b.edit("tensors/name-garbage-after", ErrorCode::E_TENSOR_NAME, "non-zero byte after the name", base,
         [](Bytes& f) { f[entry_at(f, 0) + 63] = 'x'; });
  b.describe("tensors/duplicate-name", ErrorCode::E_TENSOR_DUPLICATE, "wk named like wq", opts,
             [](slm::ModelDescription& m) { m.tensors[3].name = m.tensors[2].name; });
  b.edit("tensors/unknown-dtype", ErrorCode::E_TENSOR_DTYPE, "dtype 1 (f16 in ggml, not in SLM1)", base,
         [](Bytes& f) { set_u32(f, entry_at(f, 1) + 64, 1); });
  b.edit("tensors/rank-5", ErrorCode::E_TENSOR_RANK, "rank 5", base, [](Bytes& f) { set_u32(f, entry_at(f, 1) + 68, 5); });
  b.edit("tensors/dim-beyond-rank", ErrorCode::E_TENSOR_SHAPE, "1-D tensor with dims[1] = 1", base,
         [](Bytes& f) { set_u64(f, entry_at(f, 1) + 80, 1); });
  b.edit("tensors/zero-dim", ErrorCode::E_TENSOR_SHAPE, "dims[0] = 0", base, [](Bytes& f) { set_u64(f, entry_at(f, 2) + 72, 0); });
  b.edit("tensors/size-bomb", ErrorCode::E_LIMIT_TENSOR_SIZE, "f32 tensor of 2^31 x 2^31 elements (2^64 bytes)",
         base, [](Bytes& f) {
           set_u64(f, entry_at(f, 1) + 72, 1ull << 31);
           set_u64(f, entry_at(f, 1) + 80, 1ull << 31);
           set_u32(f, entry_at(f, 1) + 68, 2);
         });
  b.edit("tensors/block-misaligned", ErrorCode::E_TENSOR_BLOCK, "q4_0 tensor reshaped to [64, 16]", base,
         [](Bytes& f) {
           set_u64(f, entry_at(f, 2) + 72, 64);
           set_u64(f, entry_at(f, 2) + 80, 16);
         });
  b.edit("tensors/byte-size", ErrorCode::E_TENSOR_BYTE_SIZE, "byte_size one more than dtype and dims give", base,
         [](Bytes& f) { set_u64(f, entry_at(f, 1) + 112, u64_at(f, entry_at(f, 1) + 112) + 1); });
  b.edit("tensors/reserved", ErrorCode::E_TENSOR_RESERVED, "reserved entry word is 1", base,
         [](Bytes& f) { set_u64(f, entry_at(f, 1) + 120, 1); });
  b.edit("tensors/misaligned-offset", ErrorCode::E_TENSOR_ALIGN, "offset 8 bytes past canonical", base,
         [](Bytes& f) { set_u64(f, entry_at(f, 1) + 104, u64_at(f, entry_at(f, 1) + 104) + 8); });
  b.edit("tensors/past-data-end", ErrorCode::E_TENSOR_RANGE, "last tensor placed at the end of the data section",
         base, [](Bytes& f) {
           const std::size_t last = static_cast<std::size_t>(slm::load_u32(f.data() + hdr::kTensorCount)) - 1;
           set_u64(f, entry_at(f, last) + 104, u64_at(f, hdr::kDataLength));
         });
  b.edit("tensors/overlap", ErrorCode::E_TENSOR_OVERLAP, "tensor 1 at offset 0, over tensor 0", base,
         [](Bytes& f) { set_u64(f, entry_at(f, 1) + 104, 0); });
  b.edit("tensors/gap", ErrorCode::E_TENSOR_GAP, "tensor 1 starts 64 bytes after the canonical offset", base,
         [](Bytes& f) { set_u64(f, entry_at(f, 1) + 104, u64_at(f, entry_at(f, 1) + 104) + 64); });
  b.edit("tensors/data-not-covered", ErrorCode::E_DATA_LENGTH, "64 zero bytes after the last tensor's padding",
         base, [](Bytes& f) {
           f.resize(f.size() + 64, 0);
           set_u64(f, hdr::kFileLength, f.size());
           set_u64(f, hdr::kDataLength, u64_at(f, hdr::kDataLength) + 64);
         });

  // Streaming pass (checks 35-36)
  b.edit("layout/nonzero-padding", ErrorCode::E_LAYOUT_PADDING, "padding byte after the tokenizer section is 0xAA", base,
         [](Bytes& f) { f[tokenizer_at(f) + 24 + 10] = 0xAA; });
  b.edit("layout/nonzero-tensor-padding", ErrorCode::E_LAYOUT_PADDING, "padding byte after a tensor is 0x01", base,
         [](Bytes& f) {
           // tensor 0 (q8_0 [259, 32]) has 259 * 34 = 8806 bytes; its padding runs to 8832
           f[static_cast<std::size_t>(u64_at(f, hdr::kDataOffset)) + 8806 + 3] = 1;
         });
  b.edit("integrity/bad-checksum", ErrorCode::E_FILE_CHECKSUM, "one tensor byte changed, checksum not updated", base,
         [](Bytes& f) { f[static_cast<std::size_t>(u64_at(f, hdr::kDataOffset)) + 5] ^= 0x10; }, Reseal::NONE);

  // Semantics (checks 37-46)
  const std::pair<const char*, std::function<void(Bytes&)>> hparam_faults[] = {
      {"hparams/zero-layers", [](Bytes& f) { set_u32(f, hdr::kLayers, 0); }},
      {"hparams/heads-not-dividing-dim", [](Bytes& f) { set_u32(f, hdr::kHeads, 3); }},
      {"hparams/odd-head-dim", [](Bytes& f) { set_u32(f, hdr::kHeads, 32); set_u32(f, hdr::kKvHeads, 32); }},
      {"hparams/kv-heads-not-dividing", [](Bytes& f) { set_u32(f, hdr::kKvHeads, 3); }},
      {"hparams/eps-zero", [](Bytes& f) { set_f32(f, hdr::kNormEps, 0.0f); }},
      {"hparams/eps-nan", [](Bytes& f) { set_f32(f, hdr::kNormEps, std::numeric_limits<float>::quiet_NaN()); }},
      {"hparams/theta-negative", [](Bytes& f) { set_f32(f, hdr::kRopeTheta, -10000.0f); }},
  };
  for (const auto& [id, fn] : hparam_faults) b.edit(id, ErrorCode::E_HPARAM_INVALID, "inconsistent hyperparameter", base, fn);
  b.edit("tokenizer/vocab-mismatch", ErrorCode::E_TOK_VOCAB, "vocab_size 260 with a 259-piece byte tokenizer", base,
         [](Bytes& f) { set_u32(f, hdr::kVocabSize, 260); });
  b.edit("tokenizer/bos-out-of-range", ErrorCode::E_TOK_SPECIAL, "bos_id 5", base,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 12, 5); });
  b.edit("tokenizer/bos-equals-eos", ErrorCode::E_TOK_SPECIAL, "eos_id equal to bos_id", base,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 16, 1); });
  // one past the range at each end's boundary: ids 0-2 are the specials, 3 is the first byte piece
  b.edit("tokenizer/bos-first-byte-piece", ErrorCode::E_TOK_SPECIAL, "bos_id 3, the first byte piece", base,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 12, 3); });
  b.edit("tokenizer/eos-first-byte-piece", ErrorCode::E_TOK_SPECIAL, "eos_id 3, the first byte piece", base,
         [](Bytes& f) { set_u32(f, tokenizer_at(f) + 16, 3); });
  b.describe("tokenizer/lowercase-byte-piece", ErrorCode::E_TOK_BYTE_PIECES, "piece 13 is <0x0a>, not <0x0A>",
             bpe_opts, [](slm::ModelDescription& m) { m.tokenizer.pieces[13].bytes = "<0x0a>"; });
  b.describe("tokenizer/nan-score", ErrorCode::E_TOK_SCORE, "piece 270 has score NaN", bpe_opts,
             [](slm::ModelDescription& m) { m.tokenizer.pieces[270].score = std::numeric_limits<float>::quiet_NaN(); });
  b.describe("tokenizer/duplicate-piece", ErrorCode::E_TOK_DUPLICATE, "piece 299 repeats piece 260", bpe_opts,
             [](slm::ModelDescription& m) { m.tokenizer.pieces[299].bytes = m.tokenizer.pieces[260].bytes; });
  b.describe("model/missing-output", ErrorCode::E_MODEL_TENSOR_COUNT, "untied flag set but output.weight missing",
             opts, [](slm::ModelDescription& m) { m.tensors.pop_back(); });
  b.describe("model/swapped-tensors", ErrorCode::E_MODEL_TENSOR_NAME, "wk and wv in each other's place", opts,
             [](slm::ModelDescription& m) { std::swap(m.tensors[3], m.tensors[4]); });
  b.describe("model/wrong-shape", ErrorCode::E_MODEL_TENSOR_SHAPE, "attention_norm with 64 elements instead of 32",
             opts, [](slm::ModelDescription& m) {
               m.tensors[1].shape = {64};
               m.tensors[1].bytes.resize(256, 0);
             });
  b.describe("model/quantized-norm", ErrorCode::E_MODEL_TENSOR_DTYPE, "attention_norm stored as q8_0", opts,
             [](slm::ModelDescription& m) {
               m.tensors[1].dtype = slm::DType::Q8_0;
               m.tensors[1].bytes.assign(34, 0);
             });

  // Identity (checks 47-50)
  b.edit("identity/parameter-count", ErrorCode::E_ID_PARAM_COUNT, "parameter_count off by one", base,
         [](Bytes& f) { set_u64(f, hdr::kParamCount, u64_at(f, hdr::kParamCount) + 1); }, Reseal::SEAL);
  b.edit("identity/layout-checksum", ErrorCode::E_ID_LAYOUT_CHECKSUM, "layout_checksum with one bit flipped", base,
         [](Bytes& f) { set_u64(f, hdr::kLayoutChecksum, u64_at(f, hdr::kLayoutChecksum) ^ 1); }, Reseal::SEAL);
  b.edit("identity/tokenizer-checksum", ErrorCode::E_ID_TOKENIZER_CHECKSUM, "tokenizer_checksum with one bit flipped",
         base, [](Bytes& f) { set_u64(f, hdr::kTokenizerChecksum, u64_at(f, hdr::kTokenizerChecksum) ^ 1); },
         Reseal::SEAL);
  b.edit("identity/content-digest", ErrorCode::E_ID_DIGEST, "content digest with one bit flipped (checksum re-sealed)",
         base, [](Bytes& f) {
           f[hdr::kDigest] ^= 1;
           set_u64(f, hdr::kChecksum, slm::file_checksum(f));
         }, Reseal::NONE);
  b.out.back().verify_digest = true;
  return std::move(b.out);
}

}  // namespace slmgen
