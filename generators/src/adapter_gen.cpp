#include "slmgen/adapter_gen.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <set>
#include <utility>

#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slmgen/negatives.h"
#include "slmgen/prng.h"

namespace slmgen {
namespace {

using slm::AdapterKind;
using slm::ErrorCode;
using Bytes = std::vector<std::uint8_t>;
namespace adp = slm::adp;

// `count` distinct values of 0..n-1 in ascending order (Floyd's sampling: exactly `count` draws).
std::vector<std::uint64_t> distinct_sorted(SplitMix64& rng, std::uint64_t n, std::uint64_t count) {
  std::set<std::uint64_t> chosen;
  for (std::uint64_t j = n - count; j < n; ++j) {
    const std::uint64_t t = rng.next() % (j + 1);
    chosen.insert(chosen.count(t) ? j : t);
  }
  return {chosen.begin(), chosen.end()};
}

std::vector<float> random_values(SplitMix64& rng, std::uint64_t count, float scale) {
  std::vector<float> v(static_cast<std::size_t>(count));
  for (auto& x : v) x = scale * rng.symmetric();
  return v;
}

// One entry for the target `name` of `shape`. `count` is nnz (sparse) or rank (low-rank).
slm::AdapterEntry random_entry(AdapterKind kind, const std::string& name, const std::vector<std::uint64_t>& shape,
                               std::uint64_t count, SplitMix64& rng, float scale) {
  slm::AdapterEntry e;
  e.name = name;
  e.shape = shape;
  const std::uint64_t n = e.elements();
  switch (kind) {
    case AdapterKind::DENSE: e.values = random_values(rng, n, scale); break;  // delta [n]
    case AdapterKind::SPARSE:
      e.indices = distinct_sorted(rng, n, count);                           // [nnz]
      e.values = random_values(rng, count, scale);                          // [nnz]
      break;
    case AdapterKind::LOW_RANK:
      e.rank = static_cast<std::uint32_t>(count);
      e.alpha = static_cast<float>(1 + rng.next() % 16);  // 1..16
      e.a = random_values(rng, count * shape[1], scale);  // A [rank, in]
      e.b = random_values(rng, shape[0] * count, scale);  // B [out, rank]
      break;
  }
  return e;
}

const slm::ModelInfo& negatives_parent_info() {
  static const slm::ModelInfo info = slm::validate_model(adapter_negatives_parent(), {.verify_digest = true}).value();
  return info;
}

const slm::TensorEntry& tensor_named(const slm::ModelInfo& info, const std::string& name) {
  return *std::find_if(info.tensors.begin(), info.tensors.end(), [&](const auto& t) { return t.name == name; });
}

// The negatives' bases: two entries each, with known targets (parent: tiny, dim 32, kv_dim 16, untied).
slm::Adapter base_adapter(AdapterKind kind) {
  const slm::ModelInfo& parent = negatives_parent_info();
  struct Target {
    const char* name;
    std::uint64_t count;
  };
  std::vector<Target> targets;
  switch (kind) {
    case AdapterKind::DENSE: targets = {{"layers.0.attention_norm.weight", 0}, {"norm.weight", 0}}; break;  // [32], [32]
    case AdapterKind::SPARSE:
      targets = {{"layers.0.attention.wq.weight", 3}, {"tok_embeddings.weight", 2}};  // q4_0 [32, 32], q8_0 [259, 32]
      break;
    case AdapterKind::LOW_RANK:
      targets = {{"layers.0.attention.wk.weight", 2}, {"output.weight", 1}};  // q4_0 [16, 32], q4_0 [259, 32]
      break;
  }
  SplitMix64 rng(0xADA97E5ull + static_cast<std::uint64_t>(kind));
  slm::Adapter a;
  a.kind = kind;
  a.parent = parent.header.identity;
  for (const auto& t : targets) a.entries.push_back(random_entry(kind, t.name, tensor_named(parent, t.name).shape(), t.count, rng, 1.0f / 64));
  return a;
}

enum class Reseal { ALL, CHECKSUM, NONE };  // digest then checksum; checksum only; nothing

class Builder {
public:
  // A byte-level edit of a valid adapter, then re-sealed so that only the edited rule fails.
  void edit(AdapterKind kind, const std::string& fault, ErrorCode code, std::string what, const std::function<void(Bytes&)>& fn,
            Reseal mode = Reseal::ALL) {
    Bytes f = slm::write_adapter(base_adapter(kind));
    fn(f);
    if (mode == Reseal::ALL) slm::reseal(f);
    if (mode == Reseal::CHECKSUM) slm::store_u64(f.data() + adp::kChecksum, slm::file_checksum(f));
    add(kind, fault, code, std::move(what), std::move(f));
  }
  // A consistent file written from an edited adapter (digest and checksum correct).
  void describe(AdapterKind kind, const std::string& fault, ErrorCode code, std::string what,
                const std::function<void(slm::Adapter&)>& fn) {
    slm::Adapter a = base_adapter(kind);
    fn(a);
    add(kind, fault, code, std::move(what), slm::write_adapter(a));
  }
  std::vector<AdapterNegativeCase> out;

private:
  void add(AdapterKind kind, const std::string& fault, ErrorCode code, std::string what, Bytes bytes) {
    const std::string id = std::string(slm::adapter_kind_name(kind)) + "/" + fault;  // "dense/...", "low-rank/..."
    out.push_back({id, id + adapter_extension(kind), code, std::move(what), std::move(bytes)});
  }
};

void set_u16(Bytes& f, std::uint64_t at, std::uint16_t v) { slm::store_u16(f.data() + at, v); }
void set_u32(Bytes& f, std::uint64_t at, std::uint32_t v) { slm::store_u32(f.data() + at, v); }
void set_u64(Bytes& f, std::uint64_t at, std::uint64_t v) { slm::store_u64(f.data() + at, v); }
void set_f32(Bytes& f, std::uint64_t at, float v) { slm::store_f32(f.data() + at, v); }
std::uint64_t u64_at(const Bytes& f, std::uint64_t at) { return slm::load_u64(f.data() + at); }

// Offsets of entry i and of its payload in the base adapter of `kind`.
std::uint64_t entry_at(AdapterKind kind, std::size_t i) {
  static const auto offsets = [] {
    std::vector<std::vector<std::uint64_t>> out;
    for (const AdapterKind k : {AdapterKind::DENSE, AdapterKind::SPARSE, AdapterKind::LOW_RANK}) {
      std::vector<std::uint64_t> at;
      const Bytes file = slm::write_adapter(base_adapter(k));
      const auto decoded = slm::decode_adapter(file);
      for (const auto& e : decoded.value().entries) at.push_back(e.offset);
      out.push_back(at);
    }
    return out;
  }();
  return offsets[static_cast<std::size_t>(kind)][i];
}
std::uint64_t payload_at(AdapterKind kind, std::size_t i) { return entry_at(kind, i) + slm::kAdapterEntryHeaderSize; }

void edit_identity(Bytes& f, std::size_t field) {
  // field: offset of the binding field to change; each is altered so it no longer matches.
  if (field == adp::kParentTensorCount || field == adp::kParentFlags) {
    set_u32(f, field, slm::load_u32(f.data() + field) ^ 1u);
  } else if (field == adp::kParentDigest) {
    f[field + 31] ^= 0x80;
  } else {
    set_u64(f, field, u64_at(f, field) + 1);
  }
}

}  // namespace

std::string adapter_extension(AdapterKind kind) {
  switch (kind) {
    case AdapterKind::DENSE: return ".adp";
    case AdapterKind::SPARSE: return ".asp";
    case AdapterKind::LOW_RANK: return ".alr";
  }
  return ".adp";
}

slm::Adapter generate_adapter(const slm::ModelInfo& parent, const AdapterOptions& o) {
  SplitMix64 rng(o.seed);
  // Candidate targets (low-rank needs matrices), then a partial Fisher-Yates draw of `entries` of them.
  std::vector<const slm::TensorEntry*> candidates;
  for (const auto& t : parent.tensors) {
    if (o.kind != AdapterKind::LOW_RANK || t.rank == 2) candidates.push_back(&t);
  }
  const std::size_t count = std::min<std::size_t>(o.entries, candidates.size());
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.next() % (candidates.size() - i));
    std::swap(candidates[i], candidates[j]);
  }
  candidates.resize(count);
  std::sort(candidates.begin(), candidates.end(), [](const auto* x, const auto* y) { return x->name < y->name; });

  slm::Adapter a;
  a.kind = o.kind;
  a.parent = parent.header.identity;
  for (const slm::TensorEntry* t : candidates) {
    std::uint64_t count_or_rank = 0;
    if (o.kind == AdapterKind::SPARSE) {
      count_or_rank = 1 + rng.next() % std::max<std::uint64_t>(1, std::min(o.max_nnz, t->elements()));
    } else if (o.kind == AdapterKind::LOW_RANK) {
      const std::uint64_t most = std::max<std::uint64_t>(1, std::min<std::uint64_t>({o.max_rank, t->dims[0], t->dims[1]}));
      count_or_rank = 1 + rng.next() % most;
    }
    a.entries.push_back(random_entry(o.kind, t->name, t->shape(), count_or_rank, rng, o.scale));
  }
  return a;
}

Bytes adapter_negatives_parent() { return negatives_base_model(); }

Bytes adapter_negatives_base(AdapterKind kind) { return slm::write_adapter(base_adapter(kind)); }

std::vector<AdapterNegativeCase> make_adapter_negatives() {
  constexpr AdapterKind D = AdapterKind::DENSE, S = AdapterKind::SPARSE, L = AdapterKind::LOW_RANK;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  Builder b;

  // Header (A1-A11)
  b.edit(D, "bad-magic", ErrorCode::E_ADP_MAGIC, "a model's magic SLM1", [](Bytes& f) { f[0] = 'S'; f[1] = 'L'; f[2] = 'M'; });
  b.edit(S, "mixed-magic", ErrorCode::E_ADP_MAGIC, "magic ASR1: a prefix of ASP1 up to byte 2", [](Bytes& f) { f[2] = 'R'; });
  b.edit(D, "future-version", ErrorCode::E_ADP_VERSION, "version 2", [](Bytes& f) { set_u32(f, adp::kVersion, 2); });
  b.edit(D, "truncated-header", ErrorCode::E_ADP_HDR_TRUNCATED, "cut to 100 bytes, inside the header",
         [](Bytes& f) { f.resize(100); }, Reseal::NONE);
  b.edit(D, "header-length", ErrorCode::E_ADP_HDR_LENGTH, "header_length 256 (a model's)",
         [](Bytes& f) { set_u32(f, adp::kHeaderLength, 256); });
  b.edit(D, "file-length-over-limit", ErrorCode::E_ADP_LIMIT_FILE_SIZE, "file_length 2^48 + 1",
         [](Bytes& f) { set_u64(f, adp::kFileLength, (1ull << 48) + 1); });
  b.edit(D, "truncated-file", ErrorCode::E_ADP_FILE_TRUNCATED, "last 4 bytes missing", [](Bytes& f) { f.resize(f.size() - 4); },
         Reseal::NONE);
  b.edit(D, "trailing-bytes", ErrorCode::E_ADP_FILE_TRAILING, "8 bytes beyond file_length",
         [](Bytes& f) { f.resize(f.size() + 8, 0); });
  b.edit(D, "unknown-flag", ErrorCode::E_ADP_FLAGS, "flag bit 0 set", [](Bytes& f) { set_u32(f, adp::kFlags, 1); });
  b.edit(D, "reserved-header-byte", ErrorCode::E_ADP_RESERVED, "header byte 150 is 1", [](Bytes& f) { f[150] = 1; });
  b.edit(D, "entry-count-bomb", ErrorCode::E_ADP_LIMIT_ENTRY_COUNT, "entry_count 2^32 - 1 in a small file",
         [](Bytes& f) { set_u32(f, adp::kEntryCount, 0xFFFFFFFFu); });
  b.edit(D, "no-entries", ErrorCode::E_ADP_NO_ENTRIES, "the header alone, entry_count 0", [](Bytes& f) {
    f.resize(slm::kAdapterHeaderLength);
    set_u64(f, adp::kFileLength, f.size());
    set_u32(f, adp::kEntryCount, 0);
  });

  // Entry walk (A12-A19)
  b.edit(D, "missing-entry", ErrorCode::E_ADP_ENTRY_TRUNCATED, "entry_count one more than the entries",
         [](Bytes& f) { set_u32(f, adp::kEntryCount, 3); });
  b.edit(D, "ndims-5", ErrorCode::E_ADP_ENTRY_NDIMS, "entry 0 ndims 5", [](Bytes& f) { set_u32(f, entry_at(D, 0) + adp::kEntryNdims, 5); });
  b.edit(L, "ndims-1", ErrorCode::E_ADP_ENTRY_NDIMS, "low-rank entry 0 with ndims 1",
         [](Bytes& f) { set_u32(f, entry_at(L, 0) + adp::kEntryNdims, 1); });
  b.edit(D, "zero-dim", ErrorCode::E_ADP_ENTRY_SHAPE, "entry 0 dims[0] = 0", [](Bytes& f) { set_u64(f, entry_at(D, 0) + adp::kEntryDims, 0); });
  b.edit(D, "dim-beyond-ndims", ErrorCode::E_ADP_ENTRY_SHAPE, "1-D entry with dims[1] = 1",
         [](Bytes& f) { set_u64(f, entry_at(D, 0) + adp::kEntryDims + 8, 1); });
  b.edit(D, "element-bomb", ErrorCode::E_ADP_LIMIT_ELEMENTS, "entry 0 reshaped to [2^31, 2^31]", [](Bytes& f) {
    set_u32(f, entry_at(D, 0) + adp::kEntryNdims, 2);
    set_u64(f, entry_at(D, 0) + adp::kEntryDims, 1ull << 31);
    set_u64(f, entry_at(D, 0) + adp::kEntryDims + 8, 1ull << 31);
  });
  b.edit(D, "entry-reserved", ErrorCode::E_ADP_ENTRY_RESERVED, "entry 0 reserved word at 64 is 1",
         [](Bytes& f) { f[entry_at(D, 0) + adp::kEntryReserved0] = 1; });
  b.edit(D, "dense-kind-field", ErrorCode::E_ADP_ENTRY_RESERVED, "dense entry 1 with a non-zero byte at 104 (nnz in ASP1)",
         [](Bytes& f) { f[entry_at(D, 1) + adp::kEntryNnz] = 1; });
  b.edit(S, "entry-reserved-tail", ErrorCode::E_ADP_ENTRY_RESERVED, "sparse entry 0 byte 127 is 1",
         [](Bytes& f) { f[entry_at(S, 0) + 127] = 1; });
  b.edit(S, "nnz-zero", ErrorCode::E_ADP_SPARSE_COUNT, "entry 0 nnz 0", [](Bytes& f) { set_u64(f, entry_at(S, 0) + adp::kEntryNnz, 0); });
  b.edit(S, "nnz-above-elements", ErrorCode::E_ADP_SPARSE_COUNT, "entry 0 nnz 1025 for a [32, 32] target",
         [](Bytes& f) { set_u64(f, entry_at(S, 0) + adp::kEntryNnz, 1025); });
  b.edit(D, "payload-past-end", ErrorCode::E_ADP_PAYLOAD_TRUNCATED, "last entry's dims[0] one more than its values",
         [](Bytes& f) { set_u64(f, entry_at(D, 1) + adp::kEntryDims, 33); });
  b.edit(S, "nnz-bomb", ErrorCode::E_ADP_PAYLOAD_TRUNCATED, "last entry declares nnz = n = 8288 pairs, holds 2",
         [](Bytes& f) { set_u64(f, entry_at(S, 1) + adp::kEntryNnz, 259 * 32); });
  b.edit(L, "rank-bomb", ErrorCode::E_ADP_PAYLOAD_TRUNCATED, "entry 0 rank 2^32 - 1: 4 * rank * (out + in) bytes",
         [](Bytes& f) { set_u32(f, entry_at(L, 0) + adp::kEntryRank, 0xFFFFFFFFu); });
  b.edit(D, "bytes-after-last-entry", ErrorCode::E_ADP_ENTRY_TRAILING, "4 bytes after the last payload, inside file_length",
         [](Bytes& f) {
           f.resize(f.size() + 4, 0);
           set_u64(f, adp::kFileLength, f.size());
         });

  // Integrity (A20-A21)
  b.edit(D, "bad-checksum", ErrorCode::E_ADP_CHECKSUM, "one delta byte changed, checksum not updated",
         [](Bytes& f) { f[payload_at(D, 0) + 1] ^= 0x10; }, Reseal::NONE);
  b.edit(D, "bad-digest", ErrorCode::E_ADP_DIGEST, "one delta byte changed, checksum updated but not the digest",
         [](Bytes& f) { f[payload_at(D, 0) + 1] ^= 0x10; }, Reseal::CHECKSUM);

  // Entry semantics (A22-A28)
  b.edit(D, "name-charset", ErrorCode::E_ADP_ENTRY_NAME, "entry 0 name starts with an upper-case L",
         [](Bytes& f) { f[entry_at(D, 0) + adp::kEntryName] = 'L'; });
  b.edit(D, "name-empty", ErrorCode::E_ADP_ENTRY_NAME, "entry 1 name_length 0",
         [](Bytes& f) { set_u16(f, entry_at(D, 1) + adp::kEntryNameLength, 0); });
  b.edit(D, "name-too-long", ErrorCode::E_ADP_ENTRY_NAME, "entry 0 name_length 63",
         [](Bytes& f) { set_u16(f, entry_at(D, 0) + adp::kEntryNameLength, 63); });
  b.edit(D, "name-garbage-after", ErrorCode::E_ADP_ENTRY_NAME, "non-zero byte after entry 0's name",
         [](Bytes& f) { f[entry_at(D, 0) + 63] = 'x'; });
  b.describe(D, "names-out-of-order", ErrorCode::E_ADP_ENTRY_ORDER, "entries in descending name order",
             [](slm::Adapter& a) { std::swap(a.entries[0], a.entries[1]); });
  b.describe(D, "duplicate-name", ErrorCode::E_ADP_ENTRY_ORDER, "both entries target norm.weight",
             [](slm::Adapter& a) { a.entries[0].name = a.entries[1].name; });
  b.describe(L, "rank-zero", ErrorCode::E_ADP_LORA_RANK, "entry 0 rank 0 (and no A, B)", [](slm::Adapter& a) {
    a.entries[0].rank = 0;
    a.entries[0].a.clear();
    a.entries[0].b.clear();
  });
  b.describe(L, "rank-above-min", ErrorCode::E_ADP_LORA_RANK, "rank 17 for a [16, 32] target, A and B complete",
             [](slm::Adapter& a) {
               a.entries[0].rank = 17;
               a.entries[0].a.assign(17 * 32, 0.001f);
               a.entries[0].b.assign(16 * 17, 0.001f);
             });
  b.edit(L, "alpha-zero", ErrorCode::E_ADP_LORA_ALPHA, "entry 0 alpha 0", [](Bytes& f) { set_f32(f, entry_at(L, 0) + adp::kEntryAlpha, 0.0f); });
  b.edit(L, "alpha-nan", ErrorCode::E_ADP_LORA_ALPHA, "entry 1 alpha NaN",
         [nan](Bytes& f) { set_f32(f, entry_at(L, 1) + adp::kEntryAlpha, nan); });
  b.edit(L, "alpha-inf", ErrorCode::E_ADP_LORA_ALPHA, "entry 0 alpha -inf",
         [inf](Bytes& f) { set_f32(f, entry_at(L, 0) + adp::kEntryAlpha, -inf); });
  b.edit(S, "index-out-of-range", ErrorCode::E_ADP_SPARSE_RANGE, "entry 0's last index is 1024 for a [32, 32] target",
         [](Bytes& f) { set_u64(f, payload_at(S, 0) + 24, 1024); });
  // Check order inside an ASP1 entry (adapters.md 6.1.4): A26 and A27 on every pair, then A28.
  // Two faults on purpose: a runtime checking each pair's value with its index reports A28 instead.
  b.edit(S, "range-before-nonfinite", ErrorCode::E_ADP_SPARSE_RANGE,
         "check order: entry 0 pair 0 value NaN and its last index 1024; A26 on every pair runs before A28",
         [nan](Bytes& f) {
           set_f32(f, payload_at(S, 0) + 8, nan);
           set_u64(f, payload_at(S, 0) + 24, 1024);
         });
  b.describe(S, "indices-descending", ErrorCode::E_ADP_SPARSE_ORDER, "entry 0's first two pairs swapped",
             [](slm::Adapter& a) {
               std::swap(a.entries[0].indices[0], a.entries[0].indices[1]);
               std::swap(a.entries[0].values[0], a.entries[0].values[1]);
             });
  b.describe(S, "duplicate-index", ErrorCode::E_ADP_SPARSE_ORDER, "entry 1 lists the same index twice",
             [](slm::Adapter& a) { a.entries[1].indices[1] = a.entries[1].indices[0]; });
  b.edit(D, "nan-delta", ErrorCode::E_ADP_VALUE_NONFINITE, "entry 1 delta 5 is NaN",
         [nan](Bytes& f) { set_f32(f, payload_at(D, 1) + 20, nan); });
  b.edit(S, "inf-value", ErrorCode::E_ADP_VALUE_NONFINITE, "entry 0 pair 2 value is +inf",
         [inf](Bytes& f) { set_f32(f, payload_at(S, 0) + 24 + 8, inf); });
  b.edit(L, "nan-in-b", ErrorCode::E_ADP_VALUE_NONFINITE, "entry 0 last element of B is NaN",
         [nan](Bytes& f) { set_f32(f, entry_at(L, 1) - 4, nan); });

  // Binding (A29-A36): the adapter is valid, the parent is not the one it names.
  const std::pair<const char*, std::pair<std::size_t, ErrorCode>> identity_faults[] = {
      {"parent-parameter-count", {adp::kParentParamCount, ErrorCode::E_ADP_PARENT_PARAM_COUNT}},
      {"parent-tensor-count", {adp::kParentTensorCount, ErrorCode::E_ADP_PARENT_TENSOR_COUNT}},
      {"parent-flags", {adp::kParentFlags, ErrorCode::E_ADP_PARENT_FLAGS}},
      {"parent-layout", {adp::kParentLayoutChecksum, ErrorCode::E_ADP_PARENT_LAYOUT}},
      {"parent-tokenizer", {adp::kParentTokenizerChecksum, ErrorCode::E_ADP_PARENT_TOKENIZER}},
      {"parent-digest", {adp::kParentDigest, ErrorCode::E_ADP_PARENT_DIGEST}},
  };
  for (const auto& [fault, field_code] : identity_faults) {
    const std::size_t field = field_code.first;
    b.edit(D, fault, field_code.second, "binding field at " + std::to_string(field) + " does not match the parent",
           [field](Bytes& f) { edit_identity(f, field); });
  }
  b.describe(S, "other-parent", ErrorCode::E_ADP_PARENT_PARAM_COUNT, "bound to the 300-piece BPE variant of the parent",
             [](slm::Adapter& a) {
               a.parent = slm::validate_model(negatives_base_bpe_model(), {.verify_digest = true}).value().header.identity;
             });
  b.describe(D, "target-missing", ErrorCode::E_ADP_TARGET_MISSING, "a third entry for a tensor the parent lacks",
             [](slm::Adapter& a) {
               slm::AdapterEntry e;
               e.name = "output.bias";
               e.shape = {4};
               e.values = {0.5f, 0.25f, -0.25f, -0.5f};
               a.entries.push_back(e);
             });
  b.describe(D, "target-shape", ErrorCode::E_ADP_TARGET_SHAPE, "norm.weight [32] declared as [2, 16]",
             [](slm::Adapter& a) { a.entries[1].shape = {2, 16}; });
  b.describe(L, "target-transposed", ErrorCode::E_ADP_TARGET_SHAPE, "wk [16, 32] declared as [32, 16]",
             [](slm::Adapter& a) {
               a.entries[0].shape = {32, 16};
             });

  // Application (A37): valid and bound, but the sum overflows.
  b.describe(L, "apply-overflow", ErrorCode::E_ADP_APPLY_NONFINITE,
             "valid for its parent; A and B hold 1e20, so B·A overflows to inf when applied", [](slm::Adapter& a) {
               std::fill(a.entries[1].a.begin(), a.entries[1].a.end(), 1e20f);
               std::fill(a.entries[1].b.begin(), a.entries[1].b.end(), 1e20f);
             });
  return b.out;
}

}  // namespace slmgen
