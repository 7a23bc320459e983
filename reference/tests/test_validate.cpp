// Validator behaviour beyond the one-fault negatives: round trips, exhaustive truncations and bit
// flips of the smallest valid package, check order, loading, and the streaming reader.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fstream>

#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slm/model_file.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "slmgen/model_gen.h"
#include "slmgen/negatives.h"
#include "test_helpers.h"

namespace {

using slm::ErrorCode;

std::string code_name(const slm::Status& s) { return std::string(slm::error_info(s.code).name); }

slm::DType any_dtype() { return *rc::gen::element(slm::DType::F32, slm::DType::Q8_0, slm::DType::Q4_0); }

// Random valid model options: dims that are multiples of 32 so every dtype is allowed.
slmgen::ModelOptions random_options() {
  slmgen::ModelOptions o;
  const std::uint32_t heads = *rc::gen::element(1u, 2u, 4u);
  const std::uint32_t kv_heads = *rc::gen::element(1u, heads);
  o.hparams.dim = 32 * *rc::gen::inRange(1u, 4u);
  if (o.hparams.dim / heads % 2 != 0) o.hparams.dim *= 2;
  o.hparams.hidden_dim = 32 * *rc::gen::inRange(1u, 5u);
  o.hparams.n_layers = *rc::gen::inRange(1u, 4u);
  o.hparams.n_heads = heads;
  o.hparams.n_kv_heads = kv_heads;
  o.hparams.max_seq_len = *rc::gen::inRange(1u, 512u);
  o.hparams.norm_eps = *rc::gen::element(1e-5f, 1e-6f);
  o.hparams.rope_theta = *rc::gen::element(10000.0f, 500000.0f);
  o.tokenizer = *rc::gen::element(slm::TokenizerKind::BYTE, slm::TokenizerKind::BPE);
  o.hparams.vocab_size = o.tokenizer == slm::TokenizerKind::BYTE ? 259 : *rc::gen::inRange(259u, 600u);
  o.untied_output = *rc::gen::arbitrary<bool>();
  o.embedding_dtype = any_dtype();
  o.attention_dtype = any_dtype();
  o.ffn_dtype = any_dtype();
  o.output_dtype = any_dtype();
  o.seed = *rc::gen::arbitrary<std::uint64_t>();
  return o;
}

RC_GTEST_PROP(Validate, WriteReadWriteRoundTrip, ()) {
  const auto options = random_options();
  const auto bytes = slm::write_model(slmgen::generate_model(options));
  const auto info = slm::validate_model(bytes, {.verify_digest = true});
  RC_ASSERT(info.ok());
  RC_ASSERT(info->header.hparams == options.hparams);
  const auto model = slm::read_model(bytes);
  RC_ASSERT(model.ok());
  RC_ASSERT(slm::write_model(model.value()) == bytes);
  RC_ASSERT(bytes.size() % slm::kAlignment == 0);
}

RC_GTEST_PROP(Validate, SameOptionsSameBytes, ()) {
  const auto options = random_options();
  RC_ASSERT(slm::write_model(slmgen::generate_model(options)) == slm::write_model(slmgen::generate_model(options)));
}

TEST(Validate, EveryTruncationIsADecodeError) {
  const auto file = slmtest::smallest_valid_model();
  ASSERT_TRUE(slm::validate_model(file).ok());
  for (std::size_t length = 0; length < file.size(); ++length) {
    const auto result = slm::validate_model(std::span(file).first(length));
    ASSERT_FALSE(result.ok()) << length;
    const auto code = result.status().code;
    ASSERT_EQ(slm::error_info(code).phase, slm::Phase::DECODE) << length << ": " << code_name(result.status());
    ASSERT_TRUE(code == ErrorCode::E_HDR_TRUNCATED || code == ErrorCode::E_FILE_TRUNCATED) << code_name(result.status());
  }
}

TEST(Validate, EverySingleBitFlipIsRejected) {
  auto file = slmtest::smallest_valid_model();
  std::size_t by_checksum = 0;
  for (std::size_t byte = 0; byte < file.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      file[byte] ^= static_cast<std::uint8_t>(1u << bit);
      const auto result = slm::validate_model(file);
      ASSERT_FALSE(result.ok()) << "flip of bit " << bit << " at " << byte << " accepted";
      by_checksum += result.status().code == ErrorCode::E_FILE_CHECKSUM;
      file[byte] ^= static_cast<std::uint8_t>(1u << bit);
    }
  }
  // Most flips land in tensor data, where only the checksum can see them.
  EXPECT_GT(by_checksum, file.size() * 8 / 2);
}

TEST(Validate, SingleBitFlipsOfASealedFileHitPreciseChecks) {
  // Flip, then re-seal: what remains is rejected by a structural check or accepted as a different
  // valid file, and never crashes. Accepted flips are in places the format leaves free (weights).
  auto file = slmtest::smallest_valid_model();
  const auto data_offset = slm::load_u64(file.data() + slm::hdr::kDataOffset);
  for (std::size_t byte = 0; byte < data_offset; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto copy = file;
      copy[byte] ^= static_cast<std::uint8_t>(1u << bit);
      slm::reseal(copy);
      const auto result = slm::validate_model(copy);
      if (byte >= 64 && byte < slm::kHeaderLength) {
        // max_seq_len and the two floats may stay valid; every other header field is pinned down
        const bool free_field = byte >= slm::hdr::kMaxSeqLen && byte < slm::hdr::kRopeTheta + 4;
        if (!free_field) {
          ASSERT_FALSE(result.ok()) << "header byte " << byte << " bit " << bit;
        }
      }
    }
  }
}

TEST(Validate, ChecksumIsReportedAfterPaddingAndBeforeSemantics) {
  auto file = slmgen::negatives_base_model();
  // padding fault and a stale checksum: padding (check 35) wins
  file[slm::kHeaderLength + 30] = 1;
  EXPECT_EQ(code_name(slm::validate_model(file).status()), "E_LAYOUT_PADDING");
  // semantic fault and a stale checksum: the checksum (36) wins over hyperparameters (37)
  file = slmgen::negatives_base_model();
  slm::store_u32(file.data() + slm::hdr::kHeads, 3);
  EXPECT_EQ(code_name(slm::validate_model(file).status()), "E_FILE_CHECKSUM");
  slm::reseal(file);
  EXPECT_EQ(code_name(slm::validate_model(file).status()), "E_HPARAM_INVALID");
}

TEST(Validate, ErrorOffsetsPointAtTheField) {
  auto file = slmgen::negatives_base_model();
  slm::store_u32(file.data() + slm::hdr::kFlags, 4);
  slm::reseal(file);
  auto r = slm::validate_model(file);
  EXPECT_EQ(code_name(r.status()), "E_HDR_FLAGS");
  EXPECT_EQ(r.status().offset, slm::hdr::kFlags);

  file = slmgen::negatives_base_model();
  const auto dir = slm::load_u64(file.data() + slm::hdr::kDirectoryOffset);
  slm::store_u32(file.data() + dir + 2 * slm::kDirectoryEntrySize + 68, 0);  // rank of entry 2
  slm::reseal(file);
  r = slm::validate_model(file);
  EXPECT_EQ(code_name(r.status()), "E_TENSOR_RANK");
  EXPECT_EQ(r.status().offset, dir + 2 * slm::kDirectoryEntrySize + 68);
}

TEST(Validate, MagicIsComparedOverTheBytesThatExist) {
  const std::vector<std::uint8_t> prefix = {'S', 'L'};
  EXPECT_EQ(code_name(slm::validate_model(prefix).status()), "E_HDR_TRUNCATED");
  const std::vector<std::uint8_t> wrong = {'S', 'X'};
  EXPECT_EQ(code_name(slm::validate_model(wrong).status()), "E_HDR_MAGIC");
  EXPECT_EQ(code_name(slm::validate_model(std::vector<std::uint8_t>{}).status()), "E_HDR_TRUNCATED");
  const std::vector<std::uint8_t> future = {'S', 'L', 'M', '1', 9, 0, 0, 0};  // 8 bytes: version is read
  EXPECT_EQ(code_name(slm::validate_model(future).status()), "E_HDR_VERSION");
}

TEST(Load, ViewsCoverEachTensor) {
  auto model = slm::load_model(slmgen::negatives_base_model());
  ASSERT_TRUE(model.ok());
  const auto& views = model.value()->tensors();
  ASSERT_EQ(views.size(), model.value()->info().tensors.size());
  for (const auto& v : views) {
    EXPECT_EQ(v.bytes.size(), v.entry->byte_size);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.bytes.data()) % 64,
              reinterpret_cast<std::uintptr_t>(model.value()->file_bytes().data()) % 64);
  }
  EXPECT_NE(model.value()->find("norm.weight"), nullptr);
  EXPECT_EQ(model.value()->find("nope"), nullptr);
}

TEST(Load, RefusesFileBeyondAddressSpace) {
  slmtest::TempDir dir;
  const auto bytes = slmgen::negatives_base_model();
  const std::string path = dir.file("m.slm");
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  // A runtime that can address fewer bytes than the (valid) file holds must say so, not truncate.
  slm::LoadOptions options;
  options.max_addressable = bytes.size() - 1;
  auto small = slm::load_model_file(path, options);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(code_name(small.status()), "E_LIMIT_ADDRESS_SPACE");
  options.max_addressable = bytes.size();
  auto fits = slm::load_model_file(path, options);
  EXPECT_TRUE(fits.ok());
}

TEST(Load, MissingFileIsAnIoError) {
  auto r = slm::load_model_file("/nonexistent/dir/model.slm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(code_name(r.status()), "E_IO_READ");
  EXPECT_EQ(slm::error_info(r.status().code).phase, slm::Phase::RUNTIME);
}

TEST(Checksum, FieldsAreReadAsZero) {
  auto file = slmgen::negatives_base_model();
  const auto checksum = slm::file_checksum(file);
  const auto digest = slm::content_digest(file);
  // Changing the stored checksum changes neither; changing the stored digest changes only the checksum.
  file[slm::hdr::kChecksum] ^= 0xFF;
  EXPECT_EQ(slm::file_checksum(file), checksum);
  EXPECT_EQ(slm::content_digest(file), digest);
  file[slm::hdr::kDigest] ^= 0xFF;
  EXPECT_NE(slm::file_checksum(file), checksum);
  EXPECT_EQ(slm::content_digest(file), digest);
}

TEST(Checksum, ChunkedHashingMatchesOneShot) {
  const auto file = slmgen::negatives_base_model();
  for (std::size_t chunk : {1u, 7u, 24u, 33u, 64u, 1000u}) {
    slm::FileHasher hasher(true);
    for (std::size_t at = 0; at < file.size(); at += chunk) {
      hasher.update(at, std::span(file).subspan(at, std::min(chunk, file.size() - at)));
    }
    EXPECT_EQ(hasher.checksum(), slm::file_checksum(file)) << chunk;
    EXPECT_EQ(hasher.digest(), slm::content_digest(file)) << chunk;
  }
}

}  // namespace
