// apply_stack (descendant.h): the streamed descendant against an independent in-memory oracle —
// today's chain written out in the test (whole tensors decoded, deltas materialised, write_model
// after each step) — for every kind, f32 and quantized targets, stacks, failures at any step, and
// what the sink sees.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "adapter_helpers.h"
#include "slm/byte_sink.h"
#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slm/descendant.h"
#include "slm/quant.h"
#include "slmgen/fix_adapter.h"
#include "slmconf/programs.h"
#include "slmgen/program.h"

namespace {

using slm::AdapterKind;
using slm::DType;
using slm::ErrorCode;
using slmtest::code_name;
using Bytes = std::vector<std::uint8_t>;

// ---- The oracle: the in-memory chain as the reference library did it before apply_stack ----

bool finite(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return (bits & 0x7F800000u) != 0x7F800000u;
}

// Section 8.2, written out independently of materialize_delta_range.
std::vector<float> oracle_delta(AdapterKind kind, const slm::AdapterEntry& e) {
  if (kind == AdapterKind::DENSE) return e.values;
  std::vector<float> delta(static_cast<std::size_t>(e.elements()), 0.0f);
  if (kind == AdapterKind::SPARSE) {
    for (std::size_t j = 0; j < e.indices.size(); ++j) delta[static_cast<std::size_t>(e.indices[j])] = e.values[j];
    return delta;
  }
  const std::size_t out_dim = static_cast<std::size_t>(e.shape[0]), in_dim = static_cast<std::size_t>(e.shape[1]), r = e.rank;
  const float s = e.alpha / static_cast<float>(e.rank);
  for (std::size_t o = 0; o < out_dim; ++o) {
    for (std::size_t i = 0; i < in_dim; ++i) {
      float t = 0.0f;
      for (std::size_t q = 0; q < r; ++q) {
        const float product = e.b[o * r + q] * e.a[q * in_dim + i];
        t = t + product;
      }
      delta[o * in_dim + i] = s * t;
    }
  }
  return delta;
}

struct OracleResult {
  slm::Status status;
  std::size_t failed = slm::kNoAdapter;
  Bytes descendant;
  slm::Identity identity;
  slm::Lineage lineage;
  std::vector<std::size_t> changed;  // ascending
};

OracleResult oracle_apply(const Bytes& parent_bytes, const std::vector<Bytes>& adapters) {
  OracleResult r;
  slm::ModelDescription model = slm::read_model(parent_bytes).value();
  Bytes current = slm::write_model(model);
  auto info = slm::validate_model(current, {.verify_digest = true});
  if (!info.ok()) return r.status = info.status(), r;
  r.lineage.parent_digest = info->header.identity.content_digest;
  for (std::size_t k = 0; k < adapters.size(); ++k) {
    auto adapter = slm::validate_adapter(adapters[k], info.value());
    if (!adapter.ok()) return r.status = adapter.status(), r.failed = k, r;
    std::vector<std::pair<std::size_t, slm::TensorData>> results;
    for (const auto& e : adapter->entries) {
      std::size_t index = 0;
      while (model.tensors[index].name != e.name) ++index;
      const slm::TensorData& target = model.tensors[index];
      std::vector<float> w = slm::decode_tensor(target.dtype, target.bytes, e.elements());
      const std::vector<float> delta = oracle_delta(adapter->kind, e);
      for (std::size_t j = 0; j < w.size(); ++j) {
        w[j] = w[j] + delta[j];
        if (!finite(w[j])) return r.status = slm::make_error(ErrorCode::E_ADP_APPLY_NONFINITE, e.offset), r.failed = k, r;
      }
      results.emplace_back(index, slm::TensorData{target.name, DType::F32, target.shape, slm::encode_tensor(DType::F32, w)});
    }
    for (auto& [index, tensor] : results) {
      model.tensors[index] = std::move(tensor);
      if (std::find(r.changed.begin(), r.changed.end(), index) == r.changed.end()) r.changed.push_back(index);
    }
    current = slm::write_model(model);
    info = slm::validate_model(current, {.verify_digest = true});
    if (!info.ok()) return r.status = info.status(), r.failed = k, r;
    r.lineage.steps.push_back({adapter->kind, adapter->digest, info->header.identity.content_digest});
  }
  std::sort(r.changed.begin(), r.changed.end());
  r.identity = info->header.identity;
  r.descendant = std::move(current);
  return r;
}

// ---- Helpers ----

std::vector<std::span<const std::uint8_t>> views(const std::vector<Bytes>& adapters) { return {adapters.begin(), adapters.end()}; }

bool same_lineage(const slm::Lineage& a, const slm::Lineage& b) {
  if (a.parent_digest != b.parent_digest || a.steps.size() != b.steps.size()) return false;
  for (std::size_t i = 0; i < a.steps.size(); ++i) {
    if (a.steps[i].kind != b.steps[i].kind || a.steps[i].adapter_digest != b.steps[i].adapter_digest ||
        a.steps[i].descendant_digest != b.steps[i].descendant_digest) {
      return false;
    }
  }
  return true;
}

// A sink that records every call; optionally fails the append that would pass `fail_after` bytes.
class RecordingSink final : public slm::ByteSink {
public:
  struct Patch {
    std::uint64_t offset, length;
  };
  slm::Status append(std::span<const std::uint8_t> bytes) override {
    if (bytes_.size() + bytes.size() > fail_after) return slm::make_error(ErrorCode::E_IO_WRITE, bytes_.size(), "disk full");
    ++appends;
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    return slm::Status::success();
  }
  slm::Status patch(std::uint64_t offset, std::span<const std::uint8_t> bytes) override {
    patches.push_back({offset, bytes.size()});
    if (offset > bytes_.size() || bytes.size() > bytes_.size() - offset) return slm::make_error(ErrorCode::E_IO_WRITE, offset);
    std::copy(bytes.begin(), bytes.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(offset));
    return slm::Status::success();
  }
  std::uint64_t size() const override { return bytes_.size(); }

  Bytes bytes_;
  std::vector<Patch> patches;
  std::size_t appends = 0;
  std::uint64_t fail_after = std::numeric_limits<std::uint64_t>::max();
};

// A chain of adapters made for each other: adapter k is generated for the model adapters 0..k-1
// made (the oracle's descendant), with the kinds given.
std::vector<Bytes> chain(const Bytes& parent, const std::vector<AdapterKind>& kinds, std::uint32_t entries, std::uint64_t seed) {
  std::vector<Bytes> out;
  Bytes model = parent;
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    slmgen::AdapterOptions o;
    o.kind = kinds[k];
    o.entries = entries;
    o.seed = seed + k;
    o.max_nnz = 40000;  // sparse entries that cross chunk boundaries
    out.push_back(slm::write_adapter(slmgen::generate_adapter(slmtest::full_info(model), o)));
    const OracleResult step = oracle_apply(model, {out.back()});
    if (!step.status.ok()) break;
    model = step.descendant;
  }
  return out;
}

// The streamed result against the oracle: same status, index, bytes, identity, lineage; nothing
// appended on failure; the null-sink run agrees; apply_adapters agrees too.
void expect_matches_oracle(const Bytes& parent, const std::vector<Bytes>& adapters, const std::string& what) {
  const OracleResult want = oracle_apply(parent, adapters);
  const auto info = slm::validate_model(parent, {.verify_digest = true});
  ASSERT_TRUE(info.ok()) << what;
  const auto stack = views(adapters);
  RecordingSink sink;
  std::size_t failed = 99;
  const auto got = slm::apply_stack(parent, info.value(), stack, &sink, &failed);
  std::size_t failed_null = 99;
  const auto got_null = slm::apply_stack(parent, info.value(), stack, nullptr, &failed_null);
  ASSERT_EQ(got.ok(), want.status.ok()) << what << ": " << code_name(got.ok() ? want.status : got.status());
  ASSERT_EQ(got_null.ok(), want.status.ok()) << what;
  EXPECT_EQ(failed, want.failed) << what;
  EXPECT_EQ(failed_null, want.failed) << what;
  if (!want.status.ok()) {
    EXPECT_EQ(got.status().code, want.status.code) << what << ": " << code_name(got.status()) << " vs " << code_name(want.status);
    EXPECT_EQ(got.status().offset, want.status.offset) << what;
    EXPECT_EQ(got_null.status().code, want.status.code) << what;
    EXPECT_EQ(got_null.status().offset, want.status.offset) << what;
    EXPECT_TRUE(sink.bytes_.empty()) << what << ": a failed stack appends nothing";
    EXPECT_TRUE(sink.patches.empty()) << what;
    return;
  }
  EXPECT_TRUE(sink.bytes_ == want.descendant) << what;
  EXPECT_EQ(got->file_length, want.descendant.size()) << what;
  EXPECT_EQ(got->identity, want.identity) << what;
  EXPECT_TRUE(same_lineage(got->lineage, want.lineage)) << what;
  EXPECT_EQ(got->changed_tensors, want.changed) << what;
  EXPECT_EQ(got_null->identity, want.identity) << what;
  EXPECT_TRUE(same_lineage(got_null->lineage, want.lineage)) << what;
  EXPECT_EQ(got_null->file_length, want.descendant.size()) << what;
  // The one patch: the checksum.
  ASSERT_EQ(sink.patches.size(), 1u) << what;
  EXPECT_EQ(sink.patches[0].offset, slm::hdr::kChecksum) << what;
  EXPECT_EQ(sink.patches[0].length, 8u) << what;
  // apply_adapters is built on apply_stack: the same descendant, the model updated to it.
  slm::ModelDescription model = slm::read_model(parent).value();
  const auto applied = slm::apply_adapters(model, stack);
  ASSERT_TRUE(applied.ok()) << what;
  EXPECT_TRUE(applied->descendant == want.descendant) << what;
  EXPECT_TRUE(slm::write_model(model) == want.descendant) << what;
  EXPECT_EQ(applied->originals.size(), want.changed.size()) << what;
}

// A parent of one matrix dtype whose tok_embeddings [259, 96] and w1 [128, 96] span two chunks
// of kDescendantChunkElements, with chunk boundaries inside rows.
Bytes chunky_parent(DType dtype) {
  slmgen::ModelOptions o = *slmgen::preset("tiny");
  o.hparams.dim = 96;
  o.hparams.hidden_dim = 192;  // w1 [192, 96] = 18432 elements
  o.hparams.n_heads = 2;
  o.hparams.n_kv_heads = 1;
  o.embedding_dtype = o.attention_dtype = o.ffn_dtype = o.output_dtype = dtype;
  o.untied_output = true;
  o.seed = 29;
  return slm::write_model(slmgen::generate_model(o));
}

// ---- Equality with the in-memory chain ----

TEST(Descendant, EveryKindOnF32AndQuantizedTargets) {
  static_assert(slm::kDescendantChunkElements % slm::kBlockSize == 0);
  for (const DType dtype : {DType::F32, DType::Q8_0, DType::Q4_0}) {
    const Bytes parent = chunky_parent(dtype);
    for (const AdapterKind kind : {AdapterKind::DENSE, AdapterKind::SPARSE, AdapterKind::LOW_RANK}) {
      const std::string what = std::string(slm::dtype_name(dtype)) + " " + std::string(slm::adapter_kind_name(kind));
      expect_matches_oracle(parent, chain(parent, {kind}, 100, 7), what + ", every tensor");
      expect_matches_oracle(parent, chain(parent, {kind}, 2, 8), what + ", two tensors");
    }
  }
}

TEST(Descendant, StacksOfTwoAndThree) {
  const std::vector<std::vector<AdapterKind>> stacks = {
      {AdapterKind::DENSE, AdapterKind::LOW_RANK},
      {AdapterKind::SPARSE, AdapterKind::SPARSE, AdapterKind::DENSE},
      {AdapterKind::LOW_RANK, AdapterKind::DENSE, AdapterKind::SPARSE},
  };
  for (const DType dtype : {DType::F32, DType::Q8_0, DType::Q4_0}) {
    const Bytes parent = chunky_parent(dtype);
    for (std::size_t i = 0; i < stacks.size(); ++i) {
      const auto adapters = chain(parent, stacks[i], 3, 100 + i);
      ASSERT_EQ(adapters.size(), stacks[i].size());
      expect_matches_oracle(parent, adapters, std::string(slm::dtype_name(dtype)) + " stack " + std::to_string(i));
    }
  }
}

TEST(Descendant, EmptyStackWritesTheParent) {
  const Bytes parent = chunky_parent(DType::Q4_0);
  const auto info = slmtest::full_info(parent);
  slm::VectorSink sink;
  const auto got = slm::apply_stack(parent, info, {}, &sink);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(sink.bytes() == parent);
  EXPECT_EQ(got->identity, info.header.identity);
  EXPECT_TRUE(got->lineage.steps.empty());
  EXPECT_TRUE(got->changed_tensors.empty());
}

TEST(Descendant, AppendsAfterWhatTheSinkAlreadyHolds) {
  const Bytes parent = chunky_parent(DType::Q8_0);
  const auto adapters = chain(parent, {AdapterKind::LOW_RANK}, 3, 5);
  const OracleResult want = oracle_apply(parent, adapters);
  RecordingSink sink;
  ASSERT_TRUE(sink.append(Bytes(100, 0xEE)).ok());
  ASSERT_TRUE(slm::apply_stack(parent, slmtest::full_info(parent), views(adapters), &sink).ok());
  ASSERT_EQ(sink.patches.size(), 1u);
  EXPECT_EQ(sink.patches[0].offset, 100u + slm::hdr::kChecksum) << "patches are relative to where the descendant starts";
  EXPECT_TRUE(Bytes(sink.bytes_.begin() + 100, sink.bytes_.end()) == want.descendant);
}

TEST(Descendant, StreamedInPiecesAndPatchedOnlyInTheHeaderHashFields) {
  const Bytes parent = chunky_parent(DType::F32);
  const auto adapters = chain(parent, {AdapterKind::DENSE, AdapterKind::SPARSE}, 100, 11);
  RecordingSink sink;
  const auto got = slm::apply_stack(parent, slmtest::full_info(parent), views(adapters), &sink);
  ASSERT_TRUE(got.ok());
  EXPECT_GT(sink.appends, 10u) << "streamed, not built and handed over whole";
  for (const auto& p : sink.patches) {
    EXPECT_GE(p.offset, 24u);
    EXPECT_LE(p.offset + p.length, 64u);
  }
  const auto check = slm::validate_model(sink.bytes_, {.verify_digest = true});
  ASSERT_TRUE(check.ok()) << code_name(check.status());
  EXPECT_EQ(check->header.identity, got->identity);
}

// ---- Failures: the same code, offset and index as the in-memory chain; nothing appended ----

// A parent with huge f32 weights: W + delta can overflow where a finite delta lands on them.
Bytes parent_with_huge(DType dtype, const std::vector<std::string>& names) {
  slm::ModelDescription m = slm::read_model(chunky_parent(dtype)).value();
  for (auto& t : m.tensors) {
    if (std::find(names.begin(), names.end(), t.name) != names.end()) slm::store_f32(t.bytes.data(), 3e38f);  // element 0
  }
  return slm::write_model(m);
}

// `a` with an entry whose W' overflows: element 0 of `name` (dense or sparse, an f32 target holding
// 3e38 there) gets +3e38; a low-rank adapter's last entry gets A = B = 1e30 (B . A = inf).
slm::Adapter overflowing(slm::Adapter a, const std::string& name, std::uint64_t elements) {
  if (a.kind == AdapterKind::LOW_RANK) {
    std::fill(a.entries.back().a.begin(), a.entries.back().a.end(), 1e30f);
    std::fill(a.entries.back().b.begin(), a.entries.back().b.end(), 1e30f);
    return a;
  }
  auto it = std::find_if(a.entries.begin(), a.entries.end(), [&](const auto& e) { return e.name == name; });
  if (it == a.entries.end()) {
    slm::AdapterEntry e;
    e.name = name;
    e.shape = {elements};
    if (a.kind == AdapterKind::DENSE) e.values.assign(static_cast<std::size_t>(elements), 0.0f);
    it = a.entries.insert(std::lower_bound(a.entries.begin(), a.entries.end(), e, [](const auto& x, const auto& y) { return x.name < y.name; }), e);
  }
  if (a.kind == AdapterKind::SPARSE && (it->indices.empty() || it->indices.front() != 0)) {
    it->indices.insert(it->indices.begin(), 0);
    it->values.insert(it->values.begin(), 0.0f);
  }
  it->values.front() = 3e38f;
  return a;
}

TEST(Descendant, FailureAtEachStepOfAStack) {
  const Bytes parent = parent_with_huge(DType::Q8_0, {"norm.weight"});
  const auto good = chain(parent, {AdapterKind::DENSE, AdapterKind::LOW_RANK, AdapterKind::SPARSE}, 3, 41);
  ASSERT_EQ(good.size(), 3u);
  expect_matches_oracle(parent, good, "the good stack");
  for (std::size_t k = 0; k < good.size(); ++k) {
    // A37: adapter k stays bound to M_k (only its entries change) and overflows when applied.
    const slm::Adapter bad = overflowing(slm::decode_adapter(good[k]).value(), "norm.weight", 96);
    std::vector<Bytes> stack(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(k));
    stack.push_back(slm::write_adapter(bad));
    std::size_t failed = 99;
    const auto got = slm::apply_stack(parent, slmtest::full_info(parent), views(stack), nullptr, &failed);
    ASSERT_FALSE(got.ok()) << k;
    EXPECT_EQ(got.status().code, ErrorCode::E_ADP_APPLY_NONFINITE) << k;
    EXPECT_EQ(failed, k);
    expect_matches_oracle(parent, stack, "A37 at step " + std::to_string(k));
    // Binding: adapter k offered to the wrong model (a step skipped).
    if (k > 0) {
      std::vector<Bytes> skipped(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(k) - 1);
      skipped.push_back(good[k]);
      expect_matches_oracle(parent, skipped, "binding at step " + std::to_string(k));
    }
    // Integrity: a broken checksum at step k after valid steps.
    std::vector<Bytes> broken(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(k) + 1);
    broken.back()[300] ^= 1;
    expect_matches_oracle(parent, broken, "checksum at step " + std::to_string(k));
  }
}

TEST(Descendant, FirstFailingEntryInEntryOrderWins) {
  // tok_embeddings.weight is first in directory order, last in entry (name) order.
  const Bytes parent = parent_with_huge(DType::F32, {"norm.weight", "tok_embeddings.weight"});
  const auto info = slmtest::full_info(parent);
  slm::Adapter a;
  a.kind = AdapterKind::SPARSE;
  a.parent = info.header.identity;
  a.entries.push_back(slmtest::sparse_entry("norm.weight", {96}, {0}, {3e38f}));
  a.entries.push_back(slmtest::sparse_entry("tok_embeddings.weight", {259, 96}, {0}, {3e38f}));
  const Bytes file = slm::write_adapter(a);
  const auto got = slm::apply_stack(parent, info, views({file}), nullptr);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code, ErrorCode::E_ADP_APPLY_NONFINITE);
  EXPECT_EQ(got.status().offset, slm::decode_adapter(file)->entries[0].offset);
  expect_matches_oracle(parent, {file}, "two failing entries");
}

TEST(Descendant, EveryAdapterNegative) {
  const Bytes parent = slmgen::adapter_negatives_parent();
  for (const auto& c : slmgen::make_adapter_negatives()) {
    expect_matches_oracle(parent, {c.bytes}, c.id);
    const auto info = slmtest::full_info(parent);
    std::size_t failed = 99;
    const auto got = slm::apply_stack(parent, info, views({c.bytes}), nullptr, &failed);
    ASSERT_FALSE(got.ok()) << c.id;
    EXPECT_EQ(got.status().code, c.expected) << c.id;
    EXPECT_EQ(failed, 0u) << c.id;
    const auto full = slm::decode_adapter(c.bytes), lean = slm::decode_adapter_without_payloads(c.bytes);
    EXPECT_EQ(lean.ok(), full.ok()) << c.id;
    EXPECT_EQ(lean.status().code, full.status().code) << c.id;
    EXPECT_EQ(lean.status().offset, full.status().offset) << c.id;
  }
}

RC_GTEST_PROP(Descendant, DecodingWithoutPayloadsRunsTheSameChecks, ()) {
  // Random edits of a valid adapter, re-sealed or not: both decoders give the same verdict.
  const Bytes parent = slm::write_model(slmgen::generate_model(slmtest::random_parent_options()));
  Bytes file = slm::write_adapter(slmgen::generate_adapter(slmtest::full_info(parent), slmtest::random_adapter_options(slmtest::any_kind())));
  const std::size_t edits = *rc::gen::inRange<std::size_t>(0, 4);
  for (std::size_t k = 0; k < edits; ++k) {
    const std::size_t at = *rc::gen::inRange<std::size_t>(0, file.size());
    file[at] = *rc::gen::arbitrary<std::uint8_t>();
  }
  if (*rc::gen::arbitrary<bool>()) slm::reseal(file);
  const auto full = slm::decode_adapter(file), lean = slm::decode_adapter_without_payloads(file);
  RC_ASSERT(lean.ok() == full.ok());
  RC_ASSERT(lean.status().code == full.status().code);
  RC_ASSERT(lean.status().offset == full.status().offset);
}

TEST(Descendant, SinkFailureIsReportedWithoutAnAdapter) {
  const Bytes parent = chunky_parent(DType::F32);
  const auto adapters = chain(parent, {AdapterKind::DENSE}, 3, 3);
  RecordingSink sink;
  sink.fail_after = 5000;
  std::size_t failed = 99;
  const auto got = slm::apply_stack(parent, slmtest::full_info(parent), views(adapters), &sink, &failed);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code, ErrorCode::E_IO_WRITE);
  EXPECT_EQ(failed, slm::kNoAdapter);
  EXPECT_TRUE(sink.patches.empty()) << "no patch after a failed append";
}

TEST(Descendant, ParentBytesThatAreNotTheModelInfosAreRefused) {
  const Bytes parent = chunky_parent(DType::F32);
  const auto info = slmtest::full_info(parent);
  const Bytes shorter(parent.begin(), parent.end() - 64);
  std::size_t failed = 99;
  const auto got = slm::apply_stack(shorter, info, {}, nullptr, &failed);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code, ErrorCode::E_FILE_TRUNCATED);
  EXPECT_EQ(failed, slm::kNoAdapter);
}

// ---- Properties ----

RC_GTEST_PROP(Descendant, DeltaRangesAreSlicesOfTheDelta, ()) {
  const Bytes parent = slm::write_model(slmgen::generate_model(slmtest::random_parent_options()));
  const auto info = slmtest::full_info(parent);
  const AdapterKind kind = slmtest::any_kind();
  const slm::Adapter a = slmgen::generate_adapter(info, slmtest::random_adapter_options(kind));
  const Bytes file = slm::write_adapter(a);
  const auto decoded = slm::decode_adapter(file);
  const auto lean = slm::decode_adapter_without_payloads(file);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(lean.ok());
  RC_ASSERT(lean->entries.size() == a.entries.size());
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    const auto& e = decoded->entries[i];
    RC_ASSERT(lean->entries[i].name == e.name);
    RC_ASSERT(lean->entries[i].offset == e.offset);
    RC_ASSERT(lean->entries[i].values.empty() && lean->entries[i].indices.empty() && lean->entries[i].a.empty());
    const auto whole = oracle_delta(kind, e);
    RC_ASSERT(slm::materialize_delta(kind, e) == whole);
    const std::uint64_t n = e.elements();
    const std::uint64_t begin = *rc::gen::inRange<std::uint64_t>(0, n);
    const std::uint64_t count = *rc::gen::inRange<std::uint64_t>(0, n - begin + 1);
    std::vector<float> part(static_cast<std::size_t>(count), -1.0f), in_place(part);
    slm::materialize_delta_range(kind, e, begin, part);
    slm::materialize_delta_range(kind, lean->entries[i], file, begin, in_place);
    for (std::size_t j = 0; j < part.size(); ++j) {
      std::uint32_t x, y, z;
      std::memcpy(&x, &part[j], 4);
      std::memcpy(&y, &whole[static_cast<std::size_t>(begin) + j], 4);
      std::memcpy(&z, &in_place[j], 4);
      RC_ASSERT(x == y);
      RC_ASSERT(z == y);
    }
  }
}

RC_GTEST_PROP(Descendant, RandomStacksMatchTheInMemoryChain, ()) {
  const Bytes parent = slm::write_model(slmgen::generate_model(slmtest::random_parent_options()));
  const std::size_t length = *rc::gen::inRange<std::size_t>(1, 4);
  std::vector<Bytes> adapters;
  Bytes model = parent;
  for (std::size_t k = 0; k < length; ++k) {
    slm::Adapter a = slmgen::generate_adapter(slmtest::full_info(model), slmtest::random_adapter_options(slmtest::any_kind()));
    // Now and then a fault: an overflow (A37) in some entry, or a binding to the parent instead.
    const int fault = *rc::gen::inRange(0, 6);
    if (fault == 0) {
      auto& e = a.entries[*rc::gen::inRange<std::size_t>(0, a.entries.size())];
      for (auto* v : {&e.values, &e.a, &e.b}) {
        if (!v->empty()) (*v)[*rc::gen::inRange<std::size_t>(0, v->size())] = 3e38f * (*rc::gen::element(1.0f, -1.0f));
      }
      if (a.kind == AdapterKind::LOW_RANK) std::fill(e.a.begin(), e.a.end(), 1e38f);
    } else if (fault == 1 && k > 0) {
      a.parent = slmtest::full_info(parent).header.identity;
    }
    adapters.push_back(slm::write_adapter(a));
    const OracleResult step = oracle_apply(model, {adapters.back()});
    if (!step.status.ok()) break;
    model = step.descendant;
  }
  const OracleResult want = oracle_apply(parent, adapters);
  const auto info = slmtest::full_info(parent);
  RecordingSink sink;
  std::size_t failed = 99;
  const auto got = slm::apply_stack(parent, info, views(adapters), &sink, &failed);
  RC_TAG(want.status.ok() ? std::string("accepted") : code_name(want.status), want.failed == slm::kNoAdapter ? 0 : want.failed);
  RC_ASSERT(got.ok() == want.status.ok());
  RC_ASSERT(failed == want.failed);
  if (!got.ok()) {
    RC_ASSERT(got.status().code == want.status.code);
    RC_ASSERT(got.status().offset == want.status.offset);
    RC_ASSERT(sink.bytes_.empty());
    return;
  }
  RC_ASSERT(sink.bytes_ == want.descendant);
  RC_ASSERT(got->identity == want.identity);
  RC_ASSERT(same_lineage(got->lineage, want.lineage));
  RC_ASSERT(got->changed_tensors == want.changed);
  RC_ASSERT(got->file_length == want.descendant.size());
}

// ---- The committed fix cases (conformance/cases/adapters/fix-*): same adapters, same descendant ----

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The value of the first "key": "value" after `after` in a JSON text (enough for expected.json).
std::string json_string(const std::string& text, const std::string& key) {
  const std::size_t at = text.find("\"" + key + "\": \"");
  if (at == std::string::npos) return "";
  const std::size_t begin = at + key.size() + 5;
  return text.substr(begin, text.find('"', begin) - begin);
}

TEST(Descendant, CommittedFixCasesAreReproduced) {
  // As conformance/runner/src/adapter_cases.cpp makes them: a programmed parent answering 2+2=5.
  const slmgen::ModelProgram buggy = slmconf::builtin_program("hello-buggy").value();
  const slmgen::ModelProgram fixed = slmconf::builtin_program("hello").value();
  const auto buggy_model = slmgen::build_programmed_model(buggy);
  const auto fixed_model = slmgen::build_programmed_model(fixed);
  ASSERT_TRUE(buggy_model.ok()) << buggy_model.status().message;
  ASSERT_TRUE(fixed_model.ok()) << fixed_model.status().message;
  const Bytes parent = slm::write_model(buggy_model.value());
  for (const auto& [kind, name, file] : {std::tuple{AdapterKind::SPARSE, "sparse", "fix.asp"},
                                         std::tuple{AdapterKind::LOW_RANK, "lowrank", "fix.alr"}}) {
    const std::string dir = std::string(SLM_SOURCE_DIR) + "/conformance/cases/adapters/fix-" + name + "/";
    const Bytes committed = read_bytes(dir + file);
    ASSERT_FALSE(committed.empty()) << dir;
    const auto fix = slmgen::make_fix_adapter(parent, fixed_model.value(), kind);
    ASSERT_TRUE(fix.ok()) << fix.status().message;
    EXPECT_TRUE(slm::write_adapter(fix.value()) == committed) << name << ": make_fix_adapter no longer writes the committed bytes";
    std::ifstream in(dir + "expected.json");
    const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto got = slm::apply_stack(parent, slmtest::full_info(parent), views({committed}), nullptr);
    ASSERT_TRUE(got.ok()) << code_name(got.status());
    EXPECT_EQ(slm::to_hex(got->identity.content_digest), json_string(expected, "content_digest")) << name;
    EXPECT_EQ(slm::to_hex_u64(got->identity.layout_checksum), json_string(expected, "layout_checksum")) << name;
    expect_matches_oracle(parent, {committed}, std::string("fix-") + name);
  }
}

// ---- The streaming adapter writer ----

RC_GTEST_PROP(AdapterStreamWriter, SameBytesAsTheInMemoryWriter, ()) {
  const Bytes parent = slm::write_model(slmgen::generate_model(slmtest::random_parent_options()));
  auto options = slmtest::random_adapter_options(slmtest::any_kind());
  options.max_nnz = *rc::gen::inRange<std::uint64_t>(1, 20000);  // pieces of 64 KiB and more
  slm::Adapter a = slmgen::generate_adapter(slmtest::full_info(parent), options);
  if (*rc::gen::arbitrary<bool>()) a.entries.back().name = std::string(70, 'x');  // what the writer cuts
  const Bytes want = slm::write_adapter(a);
  RecordingSink sink;
  RC_ASSERT(sink.append(Bytes(3, 0x55)).ok());
  RC_ASSERT(slm::write_adapter(a, sink).ok());
  RC_ASSERT(Bytes(sink.bytes_.begin() + 3, sink.bytes_.end()) == want);
  RC_ASSERT(sink.patches.size() == 1u);
  RC_ASSERT(sink.patches[0].offset == 3u + slm::adp::kChecksum);
  RC_ASSERT(sink.patches[0].length == 8u);
}

TEST(AdapterStreamWriter, NegativesAndSinkFailures) {
  for (const auto& c : slmgen::make_adapter_negatives()) {
    const auto decoded = slm::decode_adapter(c.bytes);
    if (!decoded.ok()) continue;
    RecordingSink sink;
    ASSERT_TRUE(slm::write_adapter(decoded.value(), sink).ok());
    EXPECT_TRUE(sink.bytes_ == slm::write_adapter(decoded.value())) << c.id;
  }
  const Bytes parent = chunky_parent(DType::F32);
  slmgen::AdapterOptions o;
  o.entries = 100;
  const slm::Adapter big = slmgen::generate_adapter(slmtest::full_info(parent), o);
  RecordingSink sink;
  sink.fail_after = 100000;
  EXPECT_EQ(slm::write_adapter(big, sink).code, ErrorCode::E_IO_WRITE);
  EXPECT_TRUE(sink.patches.empty());
}

}  // namespace
