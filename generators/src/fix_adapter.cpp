#include "slmgen/fix_adapter.h"

#include <algorithm>

#include "slm/quant.h"
#include "slm/validate.h"

namespace slmgen {

namespace {

slm::Status cannot_fix(std::string message) {
  return slm::make_error(slm::ErrorCode::E_PROGRAM_INVALID, slm::kNoOffset, std::move(message));
}

}  // namespace

slm::Result<slm::Adapter> make_fix_adapter(std::span<const std::uint8_t> parent_bytes, const slm::ModelDescription& target,
                                           slm::AdapterKind kind) {
  auto info = slm::validate_model(parent_bytes, {.verify_digest = true});
  if (!info.ok()) {
    slm::Status s = info.status();
    s.message = "parent: " + s.message;
    return s;
  }
  // The parent's tensors are read where they lie in its bytes, one at a time: no copy of the model.
  const std::vector<slm::TensorEntry>& parent = info->tensors;
  if (parent.size() != target.tensors.size() || !(info->header.hparams == target.hparams)) {
    return cannot_fix("the target model does not have the parent's shape");
  }
  slm::Adapter out;
  out.kind = kind;
  out.parent = info->header.identity;
  for (std::size_t t = 0; t < target.tensors.size(); ++t) {
    const slm::TensorEntry& p = parent[t];
    const auto& q = target.tensors[t];
    const std::vector<std::uint64_t> shape = p.shape();
    if (p.name != q.name || shape != q.shape) return cannot_fix("tensor " + p.name + " differs in name or shape");
    const std::uint64_t n = p.elements();
    const auto p_bytes = parent_bytes.subspan(static_cast<std::size_t>(info->header.data.offset + p.offset),
                                              static_cast<std::size_t>(p.byte_size));
    const auto before = slm::decode_tensor(p.dtype, p_bytes, n);
    std::vector<float> delta = slm::decode_tensor(q.dtype, q.bytes, n);  // the target's values, then target - parent
    bool changed = false;
    for (std::size_t i = 0; i < delta.size(); ++i) {
      delta[i] = delta[i] - before[i];
      changed = changed || delta[i] != 0.0f;
    }
    if (!changed) continue;
    slm::AdapterEntry e;
    e.name = p.name;
    e.shape = shape;
    if (kind == slm::AdapterKind::DENSE) {
      e.values = std::move(delta);
    } else if (kind == slm::AdapterKind::SPARSE) {
      for (std::size_t i = 0; i < delta.size(); ++i) {
        if (delta[i] != 0.0f) e.indices.push_back(i), e.values.push_back(delta[i]);
      }
    } else {
      if (shape.size() != 2) return cannot_fix("a low-rank fix cannot change " + p.name + " (not a matrix)");
      const std::uint64_t rows = shape[0], cols = shape[1];
      std::vector<std::uint64_t> changed_rows;
      for (std::uint64_t r = 0; r < rows; ++r) {
        for (std::uint64_t c = 0; c < cols; ++c) {
          if (delta[r * cols + c] != 0.0f) {
            changed_rows.push_back(r);
            break;
          }
        }
      }
      const auto rank = changed_rows.size();
      if (rank > std::min(rows, cols)) return cannot_fix("a low-rank fix of " + p.name + " needs rank " + std::to_string(rank));
      e.rank = static_cast<std::uint32_t>(rank);
      e.alpha = static_cast<float>(rank);
      e.a.assign(rank * cols, 0.0f);  // A [rank, in]: the changed rows' deltas
      e.b.assign(rows * rank, 0.0f);  // B [out, rank]: one-hot row selectors
      for (std::size_t k = 0; k < rank; ++k) {
        for (std::uint64_t c = 0; c < cols; ++c) e.a[k * cols + c] = delta[changed_rows[k] * cols + c];
        e.b[changed_rows[k] * rank + k] = 1.0f;
      }
    }
    out.entries.push_back(std::move(e));
  }
  if (out.entries.empty()) return cannot_fix("the target equals the parent: nothing to fix");
  std::sort(out.entries.begin(), out.entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace slmgen
