// The test vectors of spec/adapters.md section 13: three adapters for the tiny file of format.md
// 13.4, their hashes, and the values and digests of their descendants.
#include <gtest/gtest.h>

#include <cstring>

#include "adapter_helpers.h"
#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slm/quant.h"

namespace {

using slm::AdapterKind;
using Bytes = std::vector<std::uint8_t>;

struct Row {
  std::size_t k;
  std::uint32_t w, delta, result;  // f32 bits
};

struct Vector {
  std::size_t size;
  std::uint64_t checksum;
  const char* digest;
  std::size_t descendant_size;
  std::uint64_t descendant_layout;
  const char* descendant_digest;
  std::vector<Row> rows;
};

std::uint32_t bits_of(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

const slm::ModelDescription& tiny() {
  static const slm::ModelDescription model = slmgen::generate_model(*slmgen::preset("tiny"));  // seed 1
  return model;
}

slm::Adapter vector_adapter(AdapterKind kind) {
  static const slm::ModelInfo info = slmtest::full_info(slm::write_model(tiny()));
  slm::Adapter a;
  a.kind = kind;
  a.parent = info.header.identity;
  slm::AdapterEntry e;
  switch (kind) {
    case AdapterKind::DENSE:  // norm.weight [32]: (k - 16) / 64
      e.name = "norm.weight";
      e.shape = {32};
      for (int k = 0; k < 32; ++k) e.values.push_back(static_cast<float>(k - 16) / 64);
      break;
    case AdapterKind::SPARSE:  // tok_embeddings.weight [259, 32]: two pairs
      e.name = "tok_embeddings.weight";
      e.shape = {259, 32};
      e.indices = {1, 8287};
      e.values = {0.5f, -0.25f};
      break;
    case AdapterKind::LOW_RANK:  // wk [16, 32], rank 2, alpha 1
      e.name = "layers.0.attention.wk.weight";
      e.shape = {16, 32};
      e.rank = 2;
      e.alpha = 1.0f;
      for (int i = 0; i < 32; ++i) e.a.push_back(static_cast<float>(i + 1) / 32);   // A[0, i]
      for (int i = 0; i < 32; ++i) e.a.push_back(-static_cast<float>(i + 1) / 64);  // A[1, i]
      for (int o = 0; o < 16; ++o) {
        e.b.push_back(static_cast<float>(o + 1) / 16);  // B[o, 0]
        e.b.push_back(0.5f);                            // B[o, 1]
      }
      break;
  }
  a.entries.push_back(e);
  return a;
}

void check_vector(AdapterKind kind, const Vector& v) {
  const Bytes file = slm::write_adapter(vector_adapter(kind));
  ASSERT_EQ(file.size(), v.size);
  EXPECT_EQ(slm::load_u64(file.data() + slm::adp::kChecksum), v.checksum);
  EXPECT_EQ(slm::file_checksum(file), v.checksum);
  EXPECT_EQ(slm::to_hex(slm::content_digest(file)), v.digest);
  slm::ModelDescription model = tiny();
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{file});
  ASSERT_TRUE(applied.ok()) << slmtest::code_name(applied.status());
  EXPECT_EQ(slm::to_hex(applied->lineage.steps[0].adapter_digest), v.digest);
  EXPECT_EQ(applied->descendant.size(), v.descendant_size);
  EXPECT_EQ(applied->identity.layout_checksum, v.descendant_layout);
  EXPECT_EQ(slm::to_hex(applied->identity.content_digest), v.descendant_digest);
  const slm::Adapter adapter = vector_adapter(kind);
  const slm::AdapterEntry& e = adapter.entries[0];
  const slm::TensorData* before = nullptr;
  const slm::TensorData* after = nullptr;
  for (std::size_t i = 0; i < model.tensors.size(); ++i) {
    if (model.tensors[i].name == e.name) before = &tiny().tensors[i], after = &model.tensors[i];
  }
  ASSERT_NE(after, nullptr);
  const auto w = slm::decode_tensor(before->dtype, before->bytes, e.elements());
  const auto delta = slm::materialize_delta(kind, e);
  for (const Row& r : v.rows) {
    EXPECT_EQ(bits_of(w[r.k]), r.w) << r.k;
    EXPECT_EQ(bits_of(delta[r.k]), r.delta) << r.k;
    EXPECT_EQ(slm::load_u32(after->bytes.data() + 4 * r.k), r.result) << r.k;
  }
}

TEST(AdapterVectors, TinyIsTheParentOfFormatMd) {
  EXPECT_EQ(slm::to_hex(slm::content_digest(slm::write_model(tiny()))),
            "2eeb9a93e19b2d3032771138808d9c3d0cf56aef4fe97e2944af5b4898259595");
}

TEST(AdapterVectors, Dense) {
  check_vector(AdapterKind::DENSE,
               {448, 0x84823810d355fd83ull, "e48934a8b4218d4c61b5efed1eebc44f672d2d343d7cbfe2cbe71fbd75deb299", 37312,
                0x5074c489aac0920cull, "3ca95e906ba0196f651586843ab919fd6c98d330dd39ebca4b3d68a385d20ff9",
                {{0, 0x3f8b7d4f, 0xbe800000, 0x3f56fa9e},
                 {1, 0x3f80faab, 0xbe700000, 0x3f45f556},
                 {16, 0x3f8559cc, 0x00000000, 0x3f8559cc},
                 {31, 0x3f8ac92c, 0x3e700000, 0x3fa8c92c}}});
}

TEST(AdapterVectors, Sparse) {
  check_vector(AdapterKind::SPARSE,
               {344, 0x020914ba4ed9a5cfull, "783bc4f95c5de9602ee102cebdf275ad34136e0dd16104a4bbd2378fe280e286", 61632,
                0x9f93122be008aa9bull, "5ec4624a0e45818747a36682690c0fa2988a55b638a0524de35f37ba0834df5a",
                {{0, 0x3cc0fa00, 0, 0x3cc0fa00},
                 {1, 0x3db2c980, 0x3f000000, 0x3f165930},
                 {2, 0x3e2a4600, 0, 0x3e2a4600},
                 {8287, 0xbdc45400, 0xbe800000, 0xbeb11500}}});
}

TEST(AdapterVectors, LowRank) {
  check_vector(AdapterKind::LOW_RANK,
               {704, 0xd11520f5eff67c70ull, "fe8afa7cc572baeb9d772499dcb1c0b412bc26c09983e1523e9d73ffa738d252", 39040,
                0x40a73c1c72acedeaull, "eb84f2b74f2c8f40d2882eaaff3580c2e6b6722f1b6a88c44cb608a69facf2b0",
                {{0, 0x3cb08000, 0xbb400000, 0x3c988000},
                 {1, 0xbddca000, 0xbbc00000, 0xbde8a000},
                 {33, 0xbdb3a000, 0xbb800000, 0xbdbba000},
                 {511, 0x3d31a000, 0x3ec00000, 0x3ed63400}}});
}

}  // namespace

namespace {

// spec/adapters.md 13.4: single edits of the 13.1 file, without re-sealing.
TEST(AdapterVectors, OneFaultEditsOfTheDenseVector) {
  const auto info = slmtest::full_info(slm::write_model(tiny()));
  const Bytes base = slm::write_adapter(vector_adapter(AdapterKind::DENSE));
  ASSERT_EQ(base.size(), 448u);
  struct Edit {
    Bytes bytes;
    slm::ErrorCode code;
    std::uint64_t offset;
  };
  std::vector<Edit> edits;
  Bytes b = base;
  b[0] = 'X';
  edits.push_back({b, slm::ErrorCode::E_ADP_MAGIC, 0});
  b = base;
  b.pop_back();
  edits.push_back({b, slm::ErrorCode::E_ADP_FILE_TRUNCATED, 447});
  b = base;
  b[12] = 0x01;
  edits.push_back({b, slm::ErrorCode::E_ADP_FLAGS, 12});
  b = base;
  b[260] = 5;
  edits.push_back({b, slm::ErrorCode::E_ADP_ENTRY_NDIMS, 260});
  b = base;
  b[400] ^= 0x01;
  edits.push_back({b, slm::ErrorCode::E_ADP_CHECKSUM, 24});
  b = base;
  b[40] ^= 0x01;
  edits.push_back({b, slm::ErrorCode::E_ADP_CHECKSUM, 24});
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const auto r = slm::validate_adapter(edits[i].bytes, info);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(r.status().code, edits[i].code) << i;
    EXPECT_EQ(r.status().offset, edits[i].offset) << i;
  }
}

}  // namespace
