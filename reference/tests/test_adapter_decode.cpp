// Adapter validation (spec/adapters.md section 6): every one-fault negative fails with its code,
// the check order and offsets, exhaustive truncations and bit flips, standalone versus bound
// validation, and the writer's canonical round trip.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>
#include <map>
#include <set>

#include "adapter_helpers.h"
#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slmgen/negatives.h"

namespace {

using slm::AdapterKind;
using slm::ErrorCode;
using slmtest::code_name;
using Bytes = std::vector<std::uint8_t>;

const slm::ModelInfo& negatives_parent() {
  static const slm::ModelInfo info = slmtest::full_info(slmgen::adapter_negatives_parent());
  return info;
}

// The smallest adapter of each kind for the tiny parent: one entry on the smallest eligible target.
slm::Adapter smallest_adapter(AdapterKind kind, const slm::ModelInfo& parent) {
  slm::Adapter a;
  a.kind = kind;
  a.parent = parent.header.identity;
  slm::AdapterEntry e;
  switch (kind) {
    case AdapterKind::DENSE:  // norm.weight [32]
      e.name = "norm.weight";
      e.shape = {32};
      for (int k = 0; k < 32; ++k) e.values.push_back(static_cast<float>(k - 16) / 64);
      break;
    case AdapterKind::SPARSE:  // norm.weight [32], one pair
      e.name = "norm.weight";
      e.shape = {32};
      e.indices = {7};
      e.values = {0.5f};
      break;
    case AdapterKind::LOW_RANK:  // wk [16, 32], rank 1: A [1, 32], B [16, 1]
      e.name = "layers.0.attention.wk.weight";
      e.shape = {16, 32};
      e.rank = 1;
      e.alpha = 2.0f;
      for (int i = 0; i < 32; ++i) e.a.push_back(static_cast<float>(i) / 32);
      for (int o = 0; o < 16; ++o) e.b.push_back(static_cast<float>(o - 8) / 16);
      break;
  }
  a.entries.push_back(e);
  return a;
}

const AdapterKind kAllKinds[] = {AdapterKind::DENSE, AdapterKind::SPARSE, AdapterKind::LOW_RANK};

// ---- One-fault negatives ----

TEST(AdapterNegatives, BasesAreValidForTheirParent) {
  for (const AdapterKind kind : kAllKinds) {
    const auto result = slm::validate_adapter(slmgen::adapter_negatives_base(kind), negatives_parent());
    EXPECT_TRUE(result.ok()) << slm::adapter_kind_name(kind) << ": " << code_name(result.status());
  }
}

TEST(AdapterNegatives, EachFailsWithItsCodeAgainstTheParent) {
  const auto parent_bytes = slmgen::adapter_negatives_parent();
  for (const auto& c : slmgen::make_adapter_negatives()) {
    slm::Status status = slm::validate_adapter(c.bytes, negatives_parent()).status();
    if (c.expected == ErrorCode::E_ADP_APPLY_NONFINITE) {  // valid and bound: fails only when applied
      ASSERT_TRUE(status.ok()) << c.id << ": " << code_name(status);
      auto model = slm::read_model(parent_bytes).value();
      status = slm::apply_adapters(model, std::vector<Bytes>{c.bytes}).status();
    }
    ASSERT_FALSE(status.ok()) << c.id << " accepted";
    EXPECT_EQ(code_name(status), slm::error_info(c.expected).name) << c.id << ": " << c.description << " / " << status.message;
    EXPECT_TRUE(status.has_offset()) << c.id;
  }
}

TEST(AdapterNegatives, StandaloneValidationReportsAllButBindingAndApply) {
  for (const auto& c : slmgen::make_adapter_negatives()) {
    const auto result = slm::decode_adapter(c.bytes);
    const slm::Phase phase = slm::error_info(c.expected).phase;
    if (phase == slm::Phase::IDENTITY || phase == slm::Phase::RUNTIME) {
      EXPECT_TRUE(result.ok()) << c.id << " is valid on its own, got " << code_name(result.status());
    } else {
      EXPECT_EQ(result.status().code, c.expected) << c.id << ": " << code_name(result.status());
    }
  }
}

TEST(AdapterNegatives, EveryAdapterRuleHasANegative) {
  std::set<slm::ErrorCode> produced;
  for (const auto& c : slmgen::make_adapter_negatives()) produced.insert(c.expected);
  std::size_t rules = 0;
  for (const auto& row : slm::all_errors()) {
    if (row.rule.substr(0, 8) != "SLM-ADP-") continue;
    ++rules;
    EXPECT_TRUE(produced.count(row.code)) << row.name << " (" << row.rule << ") has no negative";
  }
  EXPECT_EQ(rules, 37u);
}

TEST(AdapterNegatives, IdsAreUniqueAndFilesCarryTheKindExtension) {
  std::set<std::string> ids;
  for (const auto& c : slmgen::make_adapter_negatives()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_EQ(c.file.substr(0, c.id.size()), c.id);
    const std::string ext = c.file.substr(c.id.size());
    EXPECT_TRUE(ext == ".adp" || ext == ".asp" || ext == ".alr") << c.file;
  }
}

TEST(AdapterNegatives, SameBytesEveryTime) {
  const auto first = slmgen::make_adapter_negatives(), second = slmgen::make_adapter_negatives();
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].bytes, second[i].bytes) << first[i].id;
}

// ---- Check order and offsets ----

TEST(AdapterDecode, MagicPrefixesAndOtherFiles) {
  const auto code = [](std::vector<std::uint8_t> b) { return slm::decode_adapter(b).status(); };
  EXPECT_EQ(code({}).code, ErrorCode::E_ADP_HDR_TRUNCATED);
  EXPECT_EQ(code({}).offset, 0u);
  EXPECT_EQ(code({'A', 'L'}).code, ErrorCode::E_ADP_HDR_TRUNCATED);  // a prefix of ALR1
  EXPECT_EQ(code({'A', 'X'}).code, ErrorCode::E_ADP_MAGIC);
  EXPECT_EQ(code({'A', 'X'}).offset, 1u);
  EXPECT_EQ(code({'A', 'L', 'P'}).offset, 2u);  // AL is ALR1's prefix, ALP is nobody's
  const auto model = slm::decode_adapter(slmgen::adapter_negatives_parent()).status();
  EXPECT_EQ(model.code, ErrorCode::E_ADP_MAGIC) << "an SLM1 model is not an adapter";
  EXPECT_EQ(model.offset, 0u);
  Bytes version_and_short = {'A', 'D', 'P', '1', 2, 0, 0, 0};
  EXPECT_EQ(code(version_and_short).code, ErrorCode::E_ADP_VERSION) << "A2 comes before A3";
}

TEST(AdapterDecode, OffsetsAreTheSpecs) {
  const std::map<std::string, std::uint64_t> expected_offsets = {
      {"dense/truncated-header", 100},
      {"dense/missing-entry", 0},       // file_length, filled below
      {"dense/ndims-5", 192 + 68},
      {"dense/dim-beyond-ndims", 192 + 72 + 8},
      {"dense/element-bomb", 192 + 72},
      {"dense/entry-reserved", 192 + 64},
      {"dense/dense-kind-field", 192 + 256 + 104},
      {"dense/bad-checksum", 24},
      {"dense/bad-digest", 32},
      {"dense/name-charset", 192 + 2},
      {"dense/name-too-long", 192},
      {"dense/name-garbage-after", 192 + 63},
      {"dense/names-out-of-order", 192 + 256 + 2},
      {"dense/nan-delta", 192 + 256 + 128 + 20},
      {"dense/parent-layout", 80},
      {"dense/parent-digest", 96},
      {"dense/target-shape", 192 + 256 + 68},
      {"sparse/nnz-zero", 192 + 104},
      {"sparse/index-out-of-range", 192 + 128 + 24},
      {"sparse/indices-descending", 192 + 128 + 12},
      {"sparse/inf-value", 192 + 128 + 24 + 8},
      {"low-rank/alpha-zero", 192 + 108},
      {"low-rank/rank-zero", 192 + 104},
  };
  std::size_t seen = 0;
  for (const auto& c : slmgen::make_adapter_negatives()) {
    const auto it = expected_offsets.find(c.id);
    if (it == expected_offsets.end()) continue;
    ++seen;
    const auto status = slm::validate_adapter(c.bytes, negatives_parent()).status();
    const std::uint64_t want = c.id == "dense/missing-entry" ? c.bytes.size() : it->second;
    EXPECT_EQ(status.offset, want) << c.id << ": " << code_name(status);
  }
  EXPECT_EQ(seen, expected_offsets.size());
}

TEST(AdapterDecode, FirstFailingCheckWins) {
  const slm::Adapter base = smallest_adapter(AdapterKind::DENSE, negatives_parent());
  Bytes f = slm::write_adapter(base);
  // A walk error (reserved byte in the entry header) wins over a semantic one (name) ...
  f[192 + 2] = 'N';
  f[192 + 64] = 1;
  slm::reseal(f);
  EXPECT_EQ(slm::decode_adapter(f).status().code, ErrorCode::E_ADP_ENTRY_RESERVED);
  // ... a semantic one (name) over a later one (non-finite value) ...
  f[192 + 64] = 0;
  slm::store_f32(f.data() + 192 + 128, std::numeric_limits<float>::quiet_NaN());
  slm::reseal(f);
  EXPECT_EQ(slm::decode_adapter(f).status().code, ErrorCode::E_ADP_ENTRY_NAME);
  // ... and a header error (flags) over a bad checksum.
  slm::store_u32(f.data() + slm::adp::kFlags, 4);
  EXPECT_EQ(slm::decode_adapter(f).status().code, ErrorCode::E_ADP_FLAGS);
}

TEST(AdapterDecode, BindingFieldsAreComparedFromCoarseToFine) {
  // An adapter for another model: parameter_count is reported, though every field differs.
  const auto other = slmtest::full_info(slm::write_model(slmtest::tiny_parent(slm::DType::F32, 99, true)));
  slm::Adapter a = smallest_adapter(AdapterKind::DENSE, other);
  const auto status = slm::validate_adapter(slm::write_adapter(a), negatives_parent()).status();
  EXPECT_EQ(status.code, ErrorCode::E_ADP_PARENT_LAYOUT) << code_name(status) << ": same size and flags, other dtypes";
  a.parent = negatives_parent().header.identity;
  a.parent.content_digest[0] ^= 1;
  EXPECT_EQ(slm::validate_adapter(slm::write_adapter(a), negatives_parent()).status().code, ErrorCode::E_ADP_PARENT_DIGEST);
}

// ---- Exhaustive truncations and bit flips of the smallest adapters ----

TEST(AdapterDecode, EveryTruncationIsADecodeError) {
  for (const AdapterKind kind : kAllKinds) {
    const Bytes file = slm::write_adapter(smallest_adapter(kind, negatives_parent()));
    ASSERT_TRUE(slm::validate_adapter(file, negatives_parent()).ok());
    for (std::size_t length = 0; length < file.size(); ++length) {
      const auto status = slm::decode_adapter(std::span(file).first(length)).status();
      ASSERT_FALSE(status.ok()) << length;
      ASSERT_TRUE(status.code == ErrorCode::E_ADP_HDR_TRUNCATED || status.code == ErrorCode::E_ADP_FILE_TRUNCATED)
          << slm::adapter_kind_name(kind) << " cut to " << length << ": " << code_name(status);
      ASSERT_EQ(status.offset, length);
    }
  }
}

TEST(AdapterDecode, EverySingleBitFlipIsRejected) {
  for (const AdapterKind kind : kAllKinds) {
    Bytes file = slm::write_adapter(smallest_adapter(kind, negatives_parent()));
    for (std::size_t byte = 0; byte < file.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        file[byte] ^= static_cast<std::uint8_t>(1u << bit);
        ASSERT_FALSE(slm::decode_adapter(file).ok()) << slm::adapter_kind_name(kind) << ": bit " << bit << " of byte " << byte;
        ASSERT_FALSE(slm::validate_adapter(file, negatives_parent()).ok());
        file[byte] ^= static_cast<std::uint8_t>(1u << bit);
      }
    }
  }
}

TEST(AdapterDecode, ResealedFlipsOfHeadersHitPreciseChecks) {
  // Flip, then re-seal: only the checks behind the hashes can see it. Every header and entry-header
  // bit is pinned down by some check against the parent, except the low-rank alpha, whose other
  // finite non-zero values are valid.
  for (const AdapterKind kind : kAllKinds) {
    const Bytes file = slm::write_adapter(smallest_adapter(kind, negatives_parent()));
    const std::size_t payload = slm::kAdapterHeaderLength + slm::kAdapterEntryHeaderSize;
    for (std::size_t byte = 0; byte < payload; ++byte) {
      if (byte >= slm::adp::kChecksum && byte < slm::adp::kParentParamCount) continue;  // rewritten by reseal
      const bool alpha = kind == AdapterKind::LOW_RANK && byte >= 192 + slm::adp::kEntryAlpha && byte < 192 + 112;
      for (int bit = 0; bit < 8; ++bit) {
        Bytes copy = file;
        copy[byte] ^= static_cast<std::uint8_t>(1u << bit);
        slm::reseal(copy);
        const auto result = slm::validate_adapter(copy, negatives_parent());
        if (!alpha) {
          ASSERT_FALSE(result.ok()) << slm::adapter_kind_name(kind) << ": bit " << bit << " of byte " << byte;
        } else if (!result.ok()) {
          ASSERT_EQ(result.status().code, ErrorCode::E_ADP_LORA_ALPHA);
        }
      }
    }
  }
}

RC_GTEST_PROP(AdapterDecode, EditedAdaptersNeverCrashAndAcceptedOnesAreCanonical, ()) {
  // Overwrite a few fields of a valid adapter with small or arbitrary values, maybe cut it, maybe
  // re-seal it: whatever the verdict, nothing crashes (ASan build), and what is accepted is canonical
  // and applies or fails cleanly.
  const AdapterKind kind = slmtest::any_kind();
  Bytes f = slmgen::adapter_negatives_base(kind);
  const int edits = *rc::gen::inRange(1, 5);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = *rc::gen::inRange<std::size_t>(0, f.size());
    const std::size_t width = *rc::gen::element<std::size_t>(1, 4, 8);
    const std::uint64_t value =
        *rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, 300), rc::gen::arbitrary<std::uint64_t>());
    for (std::size_t b = 0; b < width && at + b < f.size(); ++b) f[at + b] = static_cast<std::uint8_t>(value >> (8 * b));
  }
  if (*rc::gen::arbitrary<bool>()) f.resize(*rc::gen::inRange<std::size_t>(0, f.size() + 1));
  if (*rc::gen::arbitrary<bool>()) slm::reseal(f);
  const auto result = slm::validate_adapter(f, negatives_parent());
  if (result.ok()) {
    RC_ASSERT(slm::write_adapter(result.value()) == f);
    auto model = slm::read_model(slmgen::adapter_negatives_parent()).value();
    const auto applied = slm::apply_adapters(model, std::vector<Bytes>{f});
    RC_ASSERT(applied.ok() || applied.status().code == ErrorCode::E_ADP_APPLY_NONFINITE);
  } else {
    RC_ASSERT(result.status().has_offset());
  }
}

// ---- Writer ----

RC_GTEST_PROP(AdapterWriter, DecodeWriteRoundTrip, ()) {
  const auto parent_bytes = slm::write_model(slmgen::generate_model(slmtest::random_parent_options()));
  const auto parent = slmtest::full_info(parent_bytes);
  const auto options = slmtest::random_adapter_options(slmtest::any_kind());
  const Bytes file = slm::write_adapter(slmgen::generate_adapter(parent, options));
  const auto decoded = slm::validate_adapter(file, parent);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(slm::write_adapter(decoded.value()) == file);
  RC_ASSERT(decoded->digest == slm::content_digest(file));
  RC_ASSERT(file.size() % 4 == 0u);
}

TEST(AdapterWriter, SameOptionsSameBytes) {
  const auto parent = negatives_parent();
  for (const AdapterKind kind : kAllKinds) {
    slmgen::AdapterOptions o;
    o.kind = kind;
    o.seed = 42;
    o.entries = 3;
    const Bytes a = slm::write_adapter(slmgen::generate_adapter(parent, o));
    EXPECT_EQ(a, slm::write_adapter(slmgen::generate_adapter(parent, o)));
    o.seed = 43;
    EXPECT_NE(a, slm::write_adapter(slmgen::generate_adapter(parent, o)));
  }
}

TEST(AdapterWriter, GeneratedAdaptersHaveTheRequestedShape) {
  const auto parent = negatives_parent();
  slmgen::AdapterOptions o;
  o.kind = AdapterKind::LOW_RANK;
  o.entries = 100;  // more than the parent has: every matrix once
  const slm::Adapter a = slmgen::generate_adapter(parent, o);
  std::size_t matrices = 0;
  for (const auto& t : parent.tensors) matrices += t.rank == 2;
  EXPECT_EQ(a.entries.size(), matrices);
  for (const auto& e : a.entries) {
    EXPECT_EQ(e.shape.size(), 2u);
    EXPECT_GE(e.rank, 1u);
    EXPECT_LE(e.rank, o.max_rank);
  }
}

}  // namespace
