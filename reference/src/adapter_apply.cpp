// Applying adapters (spec/adapters.md sections 8-9): deltas in the specified f32 order, W' = W + delta
// for every element, quantized targets stored as f32, a stack applied as a chain with an undo log so
// that a failure leaves the caller's model exactly as it was, lineage, and rollback.
#include "check.h"
#include "slm/adapter.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

#include "slm/bytes.h"
#include "slm/quant.h"

namespace slm {
namespace {

bool is_finite(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return (bits & 0x7F800000u) != 0x7F800000u;
}

// Low-rank merge (section 8.2): s = alpha / r; each element sums B[o, q] * A[q, i] over ascending q
// from +0, one rounding per operation (-ffp-contract=off keeps the product and the sum separate).
std::vector<float> merge_low_rank(const AdapterEntry& e) {
  const std::size_t out_dim = static_cast<std::size_t>(e.shape[0]), in_dim = static_cast<std::size_t>(e.shape[1]);
  const std::size_t r = e.rank;
  const float s = e.alpha / static_cast<float>(e.rank);
  std::vector<float> delta(out_dim * in_dim);  // [out, in]
  for (std::size_t o = 0; o < out_dim; ++o) {
    const float* b_row = e.b.data() + o * r;  // B [out, r], row o
    for (std::size_t i = 0; i < in_dim; ++i) {
      float t = 0.0f;
      for (std::size_t q = 0; q < r; ++q) {
        const float product = b_row[q] * e.a[q * in_dim + i];  // A [r, in], column i
        t = t + product;
      }
      delta[o * in_dim + i] = s * t;
    }
  }
  return delta;
}

// A37 for one entry: the target's new f32 tensor, or E_ADP_APPLY_NONFINITE at the entry's offset.
Result<TensorData> apply_entry(AdapterKind kind, const AdapterEntry& entry, const TensorData& target) {
  const std::uint64_t n = entry.elements();
  // A 32-bit runtime may not hold n f32 values although the (quantized) target fits (SLM-LIM-007).
  if (n > std::numeric_limits<std::size_t>::max() / sizeof(float)) {
    return make_error(ErrorCode::E_LIMIT_ADDRESS_SPACE, entry.offset, "'" + entry.name + "' does not fit as f32");
  }
  std::vector<float> w = decode_tensor(target.dtype, target.bytes, n);  // exact (format.md 6.3)
  const std::vector<float> delta = materialize_delta(kind, entry);      // +0.0 where a sparse entry lists nothing
  for (std::size_t k = 0; k < w.size(); ++k) {
    w[k] = w[k] + delta[k];  // every element, so -0 + +0 = +0 alike in every kind (RT-ADP-001)
    if (fails(ErrorCode::E_ADP_APPLY_NONFINITE, !is_finite(w[k]))) {
      return make_error(ErrorCode::E_ADP_APPLY_NONFINITE, entry.offset,
                        "element " + std::to_string(k) + " of '" + entry.name + "' becomes " + std::to_string(w[k]));
    }
  }
  return TensorData{target.name, DType::F32, target.shape, encode_tensor(DType::F32, w)};  // never re-quantized
}

// Directory position of every tensor by name; names and order stay the same along a stack.
std::unordered_map<std::string, std::size_t> index_by_name(const ModelInfo& info) {
  std::unordered_map<std::string, std::size_t> out;
  for (std::size_t i = 0; i < info.tensors.size(); ++i) out.emplace(info.tensors[i].name, i);
  return out;
}

}  // namespace

std::vector<float> materialize_delta(AdapterKind kind, const AdapterEntry& entry) {
  switch (kind) {
    case AdapterKind::DENSE: return entry.values;
    case AdapterKind::SPARSE: {
      std::vector<float> delta(static_cast<std::size_t>(entry.elements()), 0.0f);
      for (std::size_t j = 0; j < entry.indices.size(); ++j) delta[static_cast<std::size_t>(entry.indices[j])] = entry.values[j];
      return delta;
    }
    case AdapterKind::LOW_RANK: return merge_low_rank(entry);
  }
  return {};
}

Result<AppliedStack> apply_adapters(ModelDescription& model, std::span<const std::span<const std::uint8_t>> adapters,
                                    std::size_t* failed_adapter) {
  if (failed_adapter) *failed_adapter = kNoAdapter;
  // The model adapters bind to: its full validation verifies the identity (content digest included).
  std::vector<std::uint8_t> current = write_model(model);
  auto info = validate_model(current, {.verify_digest = true});
  if (!info.ok()) return info.status();

  const std::unordered_map<std::string, std::size_t> index_of = index_by_name(info.value());
  AppliedStack applied;
  applied.lineage.parent_digest = info->header.identity.content_digest;
  std::vector<OriginalTensor> originals;               // undo log: each touched tensor as in the parent
  std::vector<bool> touched(model.tensors.size(), false);
  const auto fail = [&](std::size_t k, Status status) {
    for (auto it = originals.rbegin(); it != originals.rend(); ++it) model.tensors[it->index] = std::move(it->tensor);
    if (failed_adapter) *failed_adapter = k;
    return status;
  };

  for (std::size_t k = 0; k < adapters.size(); ++k) {
    // A1-A36 against the model as the previous steps left it (RT-ADP-005)
    auto adapter = validate_adapter(adapters[k], info.value());
    if (!adapter.ok()) return fail(k, adapter.status());
    // A37: every result computed before anything is replaced
    std::vector<std::pair<std::size_t, TensorData>> results;
    for (const auto& entry : adapter->entries) {
      const std::size_t index = index_of.find(entry.name)->second;  // present: A35 passed
      auto result = apply_entry(adapter->kind, entry, model.tensors[index]);
      if (!result.ok()) return fail(k, result.status());
      results.emplace_back(index, std::move(result.value()));
    }
    for (auto& [index, tensor] : results) {
      if (!touched[index]) {
        touched[index] = true;
        originals.push_back({index, std::move(model.tensors[index])});
      }
      model.tensors[index] = std::move(tensor);
    }
    // The descendant M_k: canonical bytes, identity recomputed (RT-ADP-004)
    current = write_model(model);
    info = validate_model(current, {.verify_digest = true});
    if (!info.ok()) return fail(k, info.status());  // unreachable for a valid parent: kept as a guard
    applied.lineage.steps.push_back({adapter->kind, adapter->digest, info->header.identity.content_digest});
  }
  std::sort(originals.begin(), originals.end(), [](const auto& x, const auto& y) { return x.index < y.index; });
  applied.originals = std::move(originals);
  applied.identity = info->header.identity;
  applied.descendant = std::move(current);
  return applied;
}

Result<AppliedStack> apply_adapters(ModelDescription& model, const std::vector<std::vector<std::uint8_t>>& adapters,
                                    std::size_t* failed_adapter) {
  std::vector<std::span<const std::uint8_t>> views(adapters.begin(), adapters.end());
  return apply_adapters(model, std::span<const std::span<const std::uint8_t>>(views), failed_adapter);
}

void rollback_adapters(ModelDescription& model, const AppliedStack& applied) {
  for (const auto& original : applied.originals) {
    if (original.index < model.tensors.size()) model.tensors[original.index] = original.tensor;
  }
}

}  // namespace slm
