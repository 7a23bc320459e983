// Applying adapters (spec/adapters.md sections 8-9): the three kinds agree bit for bit where the
// spec says they must, quantized parents, the descendant, stacks as chains, all-or-nothing failure,
// lineage and rollback.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "adapter_helpers.h"
#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slm/quant.h"

namespace {

using slm::AdapterKind;
using slm::DType;
using slm::ErrorCode;
using slmtest::code_name;
using Bytes = std::vector<std::uint8_t>;

std::uint32_t bits_of(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

// Applies `adapters` to a copy of `parent`; the copy's bytes, or the error.
slm::Result<Bytes> applied_bytes(const slm::ModelDescription& parent, const std::vector<Bytes>& adapters) {
  slm::ModelDescription model = parent;
  auto result = slm::apply_adapters(model, adapters);
  if (!result.ok()) return result.status();
  return result->descendant;
}

// The dense adapter that adds exactly what `adapter` adds (its materialised deltas).
slm::Adapter as_dense(const slm::Adapter& adapter) {
  slm::Adapter dense;
  dense.kind = AdapterKind::DENSE;
  dense.parent = adapter.parent;
  for (const auto& e : adapter.entries) {
    slm::AdapterEntry d;
    d.name = e.name;
    d.shape = e.shape;
    d.values = slm::materialize_delta(adapter.kind, e);
    dense.entries.push_back(d);
  }
  return dense;
}

const slm::TensorData& tensor_named(const slm::ModelDescription& m, const std::string& name) {
  for (const auto& t : m.tensors) {
    if (t.name == name) return t;
  }
  static const slm::TensorData none;
  return none;
}

// ---- The kinds agree (RT-ADP-001, RT-ADP-002) ----

RC_GTEST_PROP(AdapterApply, LowRankEqualsDenseOfMaterialisedDelta, ()) {
  const auto parent = slmgen::generate_model(slmtest::random_parent_options());
  const auto info = slmtest::full_info(slm::write_model(parent));
  const slm::Adapter low_rank = slmgen::generate_adapter(info, slmtest::random_adapter_options(AdapterKind::LOW_RANK));
  const auto from_low_rank = applied_bytes(parent, {slm::write_adapter(low_rank)});
  const auto from_dense = applied_bytes(parent, {slm::write_adapter(as_dense(low_rank))});
  RC_ASSERT(from_low_rank.ok());
  RC_ASSERT(from_dense.ok());
  RC_ASSERT(from_low_rank.value() == from_dense.value());
}

RC_GTEST_PROP(AdapterApply, SparseEqualsDenseWithZerosElsewhere, ()) {
  auto parent = slmgen::generate_model(slmtest::random_parent_options());
  // Some -0.0 weights in an f32 tensor, which both kinds must turn into +0.0.
  parent.tensors[1].bytes[3] = 0x80;
  parent.tensors[1].bytes[0] = parent.tensors[1].bytes[1] = parent.tensors[1].bytes[2] = 0;
  const auto info = slmtest::full_info(slm::write_model(parent));
  auto options = slmtest::random_adapter_options(AdapterKind::SPARSE);
  options.entries = 100;  // every tensor, the -0.0 one included
  const slm::Adapter sparse = slmgen::generate_adapter(info, options);
  const auto from_sparse = applied_bytes(parent, {slm::write_adapter(sparse)});
  const auto from_dense = applied_bytes(parent, {slm::write_adapter(as_dense(sparse))});
  RC_ASSERT(from_sparse.ok());
  RC_ASSERT(from_dense.ok());
  RC_ASSERT(from_sparse.value() == from_dense.value());
}

TEST(AdapterApply, NegativeZeroBecomesPositiveZero) {
  auto parent = slmtest::tiny_parent(DType::F32);
  slm::TensorData& norm = parent.tensors.back();  // norm.weight [32] f32
  ASSERT_EQ(norm.name, "norm.weight");
  slm::store_f32(norm.bytes.data() + 4 * 5, -0.0f);
  const auto info = slmtest::full_info(slm::write_model(parent));
  slm::Adapter a;
  a.kind = AdapterKind::SPARSE;
  a.parent = info.header.identity;
  a.entries.push_back(slmtest::sparse_entry("norm.weight", {32}, {9}, {0.25f}));  // element 5 is not listed
  slm::ModelDescription model = parent;
  ASSERT_TRUE(slm::apply_adapters(model, std::vector<Bytes>{slm::write_adapter(a)}).ok());
  const slm::TensorData& after = tensor_named(model, "norm.weight");
  EXPECT_EQ(bits_of(slm::load_f32(after.bytes.data() + 4 * 5)), 0u) << "-0 + +0 is +0 (RT-ADP-001)";
  EXPECT_EQ(slm::load_f32(after.bytes.data() + 4 * 9), slm::load_f32(norm.bytes.data() + 4 * 9) + 0.25f);
}

TEST(AdapterApply, LowRankMergeOrderIsTheSpecs) {
  // Sums that depend on their order: 1e8 + 1 - 1e8 is 0 in f32 summed left to right, 1 otherwise.
  slm::AdapterEntry e;
  e.name = "layers.0.attention.wk.weight";  // [16, 32]
  e.shape = {16, 32};
  e.rank = 3;
  e.alpha = 3.0f;                              // s = 1
  e.a.assign(3 * 32, 1.0f);                    // A [3, 32]
  e.b.assign(16 * 3, 0.0f);                    // B [16, 3]
  e.b[0] = 1e8f, e.b[1] = 1.0f, e.b[2] = -1e8f;  // row 0: t = ((0 + 1e8) + 1) + -1e8 = 0
  const auto delta = slm::materialize_delta(AdapterKind::LOW_RANK, e);
  EXPECT_EQ(delta[0], 0.0f);
  e.b[0] = 1.0f, e.b[1] = 1e8f;  // ((0 + 1) + 1e8) - 1e8 = 0 too; then B row 1: 1e8 - 1e8 + 1 = 1
  e.b[3] = 1e8f, e.b[4] = -1e8f, e.b[5] = 1.0f;
  const auto delta2 = slm::materialize_delta(AdapterKind::LOW_RANK, e);
  EXPECT_EQ(delta2[0], 0.0f);
  EXPECT_EQ(delta2[32], 1.0f);
}

// ---- Quantized parents and the descendant (RT-ADP-003, RT-ADP-004) ----

TEST(AdapterApply, AppliesToF32Q8Q4Parents) {
  for (const DType dtype : {DType::F32, DType::Q8_0, DType::Q4_0}) {
    const auto parent = slmtest::tiny_parent(dtype);
    const Bytes parent_bytes = slm::write_model(parent);
    const auto info = slmtest::full_info(parent_bytes);
    for (const AdapterKind kind : {AdapterKind::DENSE, AdapterKind::SPARSE, AdapterKind::LOW_RANK}) {
      slmgen::AdapterOptions o;
      o.kind = kind;
      o.entries = 100;  // every eligible tensor
      const slm::Adapter a = slmgen::generate_adapter(info, o);
      slm::ModelDescription model = parent;
      const auto applied = slm::apply_adapters(model, std::vector<Bytes>{slm::write_adapter(a)});
      ASSERT_TRUE(applied.ok()) << slm::dtype_name(dtype) << " " << slm::adapter_kind_name(kind) << ": "
                                << code_name(applied.status());
      for (const auto& e : a.entries) {
        const slm::TensorData& before = tensor_named(parent, e.name);
        const slm::TensorData& after = tensor_named(model, e.name);
        ASSERT_EQ(after.dtype, DType::F32) << e.name;
        const auto w = slm::decode_tensor(before.dtype, before.bytes, e.elements());
        const auto delta = slm::materialize_delta(kind, e);
        for (std::size_t k = 0; k < w.size(); ++k) {
          ASSERT_EQ(bits_of(slm::load_f32(after.bytes.data() + 4 * k)), bits_of(w[k] + delta[k])) << e.name << "[" << k << "]";
        }
      }
    }
  }
}

TEST(AdapterApply, QuantizedTargetsBecomeF32) {
  const auto parent = slmtest::tiny_parent(DType::Q4_0);
  const auto info = slmtest::full_info(slm::write_model(parent));
  slm::Adapter a;
  a.kind = AdapterKind::SPARSE;
  a.parent = info.header.identity;
  a.entries.push_back(slmtest::sparse_entry("layers.0.attention.wq.weight", {32, 32}, {33}, {1.0f}));
  slm::ModelDescription model = parent;
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{slm::write_adapter(a)});
  ASSERT_TRUE(applied.ok()) << code_name(applied.status());
  const auto& wq = tensor_named(model, "layers.0.attention.wq.weight");
  EXPECT_EQ(wq.dtype, DType::F32);
  EXPECT_EQ(wq.bytes.size(), 32u * 32 * 4);
  EXPECT_NE(applied->identity.layout_checksum, info.header.identity.layout_checksum) << "the directory records the new dtype";
  EXPECT_EQ(applied->identity.parameter_count, info.header.identity.parameter_count);
  const auto w = slm::decode_tensor(DType::Q4_0, tensor_named(parent, wq.name).bytes, 1024);
  EXPECT_EQ(slm::load_f32(wq.bytes.data() + 4 * 33), w[33] + 1.0f);
  EXPECT_EQ(slm::load_f32(wq.bytes.data() + 4 * 34), w[34]);
}

TEST(AdapterApply, DescendantIsCanonicalAndValid) {
  const auto parent = slmtest::tiny_parent(DType::Q8_0, 5, true);
  const auto info = slmtest::full_info(slm::write_model(parent));
  slmgen::AdapterOptions o;
  o.kind = AdapterKind::LOW_RANK;
  o.entries = 3;
  slm::ModelDescription model = parent;
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{slm::write_adapter(slmgen::generate_adapter(info, o))});
  ASSERT_TRUE(applied.ok());
  const auto check = slm::validate_model(applied->descendant, {.verify_digest = true});
  ASSERT_TRUE(check.ok()) << code_name(check.status());
  EXPECT_EQ(check->header.identity, applied->identity);
  EXPECT_EQ(slm::write_model(model), applied->descendant);
  EXPECT_EQ(slm::write_model(slm::read_model(applied->descendant).value()), applied->descendant);
  EXPECT_EQ(applied->lineage.steps.back().descendant_digest, slm::content_digest(applied->descendant));
}

TEST(AdapterApply, UntouchedTensorsKeepTheirBytes) {
  const auto parent = slmtest::tiny_parent(DType::Q4_0);
  const auto info = slmtest::full_info(slm::write_model(parent));
  slmgen::AdapterOptions o;
  o.kind = AdapterKind::DENSE;
  o.entries = 2;
  const slm::Adapter a = slmgen::generate_adapter(info, o);
  slm::ModelDescription model = parent;
  ASSERT_TRUE(slm::apply_adapters(model, std::vector<Bytes>{slm::write_adapter(a)}).ok());
  std::size_t untouched = 0;
  for (std::size_t i = 0; i < parent.tensors.size(); ++i) {
    const bool targeted = std::any_of(a.entries.begin(), a.entries.end(), [&](const auto& e) { return e.name == parent.tensors[i].name; });
    if (targeted) continue;
    ++untouched;
    EXPECT_EQ(model.tensors[i].dtype, parent.tensors[i].dtype) << parent.tensors[i].name;
    EXPECT_EQ(model.tensors[i].bytes, parent.tensors[i].bytes) << parent.tensors[i].name;
  }
  EXPECT_EQ(untouched, parent.tensors.size() - 2);
}

TEST(AdapterApply, NonFiniteResultIsAnError) {
  auto parent = slmtest::tiny_parent(DType::F32);
  slm::store_f32(parent.tensors.back().bytes.data(), 3e38f);  // norm.weight[0]
  const auto info = slmtest::full_info(slm::write_model(parent));
  slm::Adapter a;
  a.kind = AdapterKind::DENSE;
  a.parent = info.header.identity;
  a.entries.push_back(slmtest::dense_entry("norm.weight", {32}, std::vector<float>(32, 0.0f)));
  a.entries[0].values[0] = 3e38f;  // finite, but 3e38 + 3e38 overflows
  const Bytes file = slm::write_adapter(a);
  ASSERT_TRUE(slm::validate_adapter(file, info).ok());
  const auto status = applied_bytes(parent, {file}).status();
  EXPECT_EQ(status.code, ErrorCode::E_ADP_APPLY_NONFINITE);
  EXPECT_EQ(status.offset, slm::kAdapterHeaderLength) << "E of the entry";
}

// ---- Apply then rollback, other parents (RT-ADP-008, A29-A36) ----

RC_GTEST_PROP(AdapterApply, ApplyThenRollbackIsIdentity, ()) {
  const auto parent = slmgen::generate_model(slmtest::random_parent_options());
  const Bytes parent_bytes = slm::write_model(parent);
  const auto info = slmtest::full_info(parent_bytes);
  const slm::Adapter a = slmgen::generate_adapter(info, slmtest::random_adapter_options(slmtest::any_kind()));
  slm::ModelDescription model = parent;
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{slm::write_adapter(a)});
  RC_ASSERT(applied.ok());
  RC_ASSERT(applied->originals.size() == a.entries.size());
  slm::rollback_adapters(model, applied.value());
  RC_ASSERT(slm::write_model(model) == parent_bytes);
}

RC_GTEST_PROP(AdapterApply, AdapterForAnotherParentIsAnIdentityError, ()) {
  const auto options = slmtest::random_parent_options();
  auto other_options = *rc::gen::element(slmtest::random_parent_options(), options);
  other_options.seed = options.seed + 1 + *rc::gen::inRange<std::uint64_t>(0, 1000);  // same shape at least in one case
  const Bytes parent = slm::write_model(slmgen::generate_model(options));
  const Bytes other = slm::write_model(slmgen::generate_model(other_options));
  const auto info = slmtest::full_info(parent), other_info = slmtest::full_info(other);
  const Bytes file = slm::write_adapter(slmgen::generate_adapter(info, slmtest::random_adapter_options(slmtest::any_kind())));
  RC_ASSERT(slm::validate_adapter(file, info).ok());
  const auto status = slm::validate_adapter(file, other_info).status();
  RC_ASSERT(!status.ok());
  RC_ASSERT(slm::error_info(status.code).phase == slm::Phase::IDENTITY);
}

// ---- Stacks: chain binding, all or nothing, lineage, rollback (RT-ADP-005 ... RT-ADP-008) ----

struct TwoSteps {
  slm::ModelDescription parent;
  Bytes parent_bytes;
  Bytes first, second;  // second is bound to the descendant of first
};

TwoSteps two_steps(DType dtype) {
  TwoSteps s;
  s.parent = slmtest::tiny_parent(dtype, 17);
  s.parent_bytes = slm::write_model(s.parent);
  slmgen::AdapterOptions o;
  o.kind = AdapterKind::DENSE;
  o.entries = 3;
  s.first = slm::write_adapter(slmgen::generate_adapter(slmtest::full_info(s.parent_bytes), o));
  slm::ModelDescription m1 = s.parent;
  const auto step1 = slm::apply_adapters(m1, std::vector<Bytes>{s.first});
  o.kind = AdapterKind::LOW_RANK;
  o.entries = 4;
  o.seed = 2;
  s.second = slm::write_adapter(slmgen::generate_adapter(slmtest::full_info(step1->descendant), o));
  return s;
}

TEST(AdapterStack, SecondAdapterBindsToTheFirstDescendant) {
  const TwoSteps s = two_steps(DType::Q8_0);
  slm::ModelDescription model = s.parent;
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{s.first, s.second});
  ASSERT_TRUE(applied.ok()) << code_name(applied.status());
  // The same as applying them one at a time.
  slm::ModelDescription one_at_a_time = s.parent;
  ASSERT_TRUE(slm::apply_adapters(one_at_a_time, std::vector<Bytes>{s.first}).ok());
  const auto second = slm::apply_adapters(one_at_a_time, std::vector<Bytes>{s.second});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->descendant, applied->descendant);
  // The second adapter does not fit the original parent.
  const auto status = slm::validate_adapter(s.second, slmtest::full_info(s.parent_bytes)).status();
  EXPECT_EQ(slm::error_info(status.code).phase, slm::Phase::IDENTITY) << code_name(status);
}

TEST(AdapterStack, ReorderedStackIsAnIdentityError) {
  const TwoSteps s = two_steps(DType::F32);
  slm::ModelDescription model = s.parent;
  std::size_t failed = 99;
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{s.second, s.first}, &failed);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(slm::error_info(applied.status().code).phase, slm::Phase::IDENTITY);
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(slm::write_model(model), s.parent_bytes);
}

TEST(AdapterStack, SameAdapterTwiceIsAnIdentityError) {
  const TwoSteps s = two_steps(DType::F32);
  slm::ModelDescription model = s.parent;
  std::size_t failed = 99;
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{s.first, s.first}, &failed);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code, ErrorCode::E_ADP_PARENT_DIGEST) << "f32 targets: same layout, other weights";
  EXPECT_EQ(failed, 1u);
}

TEST(AdapterStack, FailedSecondAdapterLeavesModelBitIdentical) {
  for (const DType dtype : {DType::F32, DType::Q8_0, DType::Q4_0}) {
    const TwoSteps s = two_steps(dtype);
    // A second adapter bound to the first descendant whose product overflows when applied.
    slm::Adapter bad = slm::decode_adapter(s.second).value();
    std::fill(bad.entries[0].a.begin(), bad.entries[0].a.end(), 1e30f);  // B . A = 1e60: inf in f32
    std::fill(bad.entries[0].b.begin(), bad.entries[0].b.end(), 1e30f);
    const Bytes bad_file = slm::write_adapter(bad);
    slm::ModelDescription model = s.parent;
    const slm::ModelDescription untouched = model;
    std::size_t failed = 99;
    const auto applied = slm::apply_adapters(model, std::vector<Bytes>{s.first, bad_file}, &failed);
    ASSERT_FALSE(applied.ok());
    EXPECT_EQ(applied.status().code, ErrorCode::E_ADP_APPLY_NONFINITE);
    EXPECT_EQ(failed, 1u);
    EXPECT_EQ(slm::write_model(model), s.parent_bytes) << slm::dtype_name(dtype);
    ASSERT_EQ(model.tensors.size(), untouched.tensors.size());
    for (std::size_t i = 0; i < model.tensors.size(); ++i) {
      EXPECT_EQ(model.tensors[i].dtype, untouched.tensors[i].dtype);
      EXPECT_EQ(model.tensors[i].bytes, untouched.tensors[i].bytes);
    }
  }
}

TEST(AdapterStack, FailedApplyLeavesModelBitIdentical) {
  // Every negative fails as a stack of one, with its code, and leaves the model as it was.
  const Bytes parent_bytes = slmgen::adapter_negatives_parent();
  const auto parent = slm::read_model(parent_bytes).value();
  for (const auto& c : slmgen::make_adapter_negatives()) {
    slm::ModelDescription model = parent;
    std::size_t failed = 99;
    const auto applied = slm::apply_adapters(model, std::vector<Bytes>{c.bytes}, &failed);
    ASSERT_FALSE(applied.ok()) << c.id;
    EXPECT_EQ(applied.status().code, c.expected) << c.id;
    EXPECT_EQ(failed, 0u);
    ASSERT_EQ(slm::write_model(model), parent_bytes) << c.id;
  }
}

TEST(AdapterStack, InvalidModelIsReportedBeforeAnyAdapter) {
  const TwoSteps s = two_steps(DType::F32);
  slm::ModelDescription model = s.parent;
  model.tensors.pop_back();  // norm.weight missing
  std::size_t failed = 0;
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{s.first}, &failed);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code, ErrorCode::E_MODEL_TENSOR_COUNT);
  EXPECT_EQ(failed, slm::kNoAdapter);
}

TEST(AdapterStack, LineageRecordsEveryStep) {
  const TwoSteps s = two_steps(DType::Q4_0);
  slm::ModelDescription model = s.parent;
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{s.first, s.second});
  ASSERT_TRUE(applied.ok());
  const slm::Lineage& lineage = applied->lineage;
  EXPECT_EQ(lineage.parent_digest, slm::content_digest(s.parent_bytes));
  ASSERT_EQ(lineage.steps.size(), 2u);
  EXPECT_EQ(lineage.steps[0].kind, AdapterKind::DENSE);
  EXPECT_EQ(lineage.steps[0].adapter_digest, slm::content_digest(s.first));
  EXPECT_EQ(lineage.steps[1].kind, AdapterKind::LOW_RANK);
  EXPECT_EQ(lineage.steps[1].adapter_digest, slm::content_digest(s.second));
  slm::ModelDescription m1 = s.parent;
  const auto step1 = slm::apply_adapters(m1, std::vector<Bytes>{s.first});
  EXPECT_EQ(lineage.steps[0].descendant_digest, slm::content_digest(step1->descendant));
  EXPECT_EQ(lineage.steps[1].descendant_digest, applied->identity.content_digest);
  // Each step binds to the previous model's digest.
  EXPECT_EQ(slm::decode_adapter(s.second)->parent.content_digest, lineage.steps[0].descendant_digest);
}

TEST(AdapterStack, RollbackRestoresTheParentBytes) {
  for (const DType dtype : {DType::F32, DType::Q8_0, DType::Q4_0}) {
    const TwoSteps s = two_steps(dtype);
    slm::ModelDescription model = s.parent;
    const auto applied = slm::apply_adapters(model, std::vector<Bytes>{s.first, s.second});
    ASSERT_TRUE(applied.ok());
    ASSERT_NE(slm::write_model(model), s.parent_bytes);
    for (std::size_t i = 1; i < applied->originals.size(); ++i) EXPECT_LT(applied->originals[i - 1].index, applied->originals[i].index);
    slm::rollback_adapters(model, applied.value());
    EXPECT_EQ(slm::write_model(model), s.parent_bytes) << slm::dtype_name(dtype);
  }
}

TEST(AdapterStack, EmptyStackChangesNothing) {
  const TwoSteps s = two_steps(DType::F32);
  slm::ModelDescription model = s.parent;
  const auto applied = slm::apply_adapters(model, std::vector<Bytes>{});
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->descendant, s.parent_bytes);
  EXPECT_TRUE(applied->lineage.steps.empty());
  EXPECT_TRUE(applied->originals.empty());
}

}  // namespace
