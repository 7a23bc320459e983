#include "slmgen/fix_adapter.h"

#include <algorithm>

#include "slm/quant.h"
#include "slm/validate.h"

namespace slmgen {

bool make_fix_adapter(std::span<const std::uint8_t> parent_bytes, const slm::ModelDescription& target, slm::AdapterKind kind,
                      slm::Adapter& out, std::string& error) {
  auto info = slm::validate_model(parent_bytes, {.verify_digest = true});
  if (!info.ok()) return error = "parent: " + info.status().message, false;
  auto parent = slm::read_model(parent_bytes);
  if (!parent.ok()) return error = "parent: " + parent.status().message, false;
  if (parent->tensors.size() != target.tensors.size() || !(parent->hparams == target.hparams)) {
    return error = "the target model does not have the parent's shape", false;
  }
  out = {};
  out.kind = kind;
  out.parent = info->header.identity;
  for (std::size_t t = 0; t < target.tensors.size(); ++t) {
    const auto& p = parent->tensors[t];
    const auto& q = target.tensors[t];
    if (p.name != q.name || p.shape != q.shape) return error = "tensor " + p.name + " differs in name or shape", false;
    std::uint64_t n = 1;
    for (auto d : p.shape) n *= d;
    const auto before = slm::decode_tensor(p.dtype, p.bytes, n);
    const auto after = slm::decode_tensor(q.dtype, q.bytes, n);
    std::vector<float> delta(before.size());
    bool changed = false;
    for (std::size_t i = 0; i < delta.size(); ++i) {
      delta[i] = after[i] - before[i];
      changed = changed || delta[i] != 0.0f;
    }
    if (!changed) continue;
    slm::AdapterEntry e;
    e.name = p.name;
    e.shape = p.shape;
    if (kind == slm::AdapterKind::DENSE) {
      e.values = std::move(delta);
    } else if (kind == slm::AdapterKind::SPARSE) {
      for (std::size_t i = 0; i < delta.size(); ++i) {
        if (delta[i] != 0.0f) e.indices.push_back(i), e.values.push_back(delta[i]);
      }
    } else {
      if (p.shape.size() != 2) return error = "a low-rank fix cannot change " + p.name + " (not a matrix)", false;
      const std::uint64_t rows = p.shape[0], cols = p.shape[1];
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
      if (rank > std::min(rows, cols)) return error = "a low-rank fix of " + p.name + " needs rank " + std::to_string(rank), false;
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
  if (out.entries.empty()) return error = "the target equals the parent: nothing to fix", false;
  std::sort(out.entries.begin(), out.entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return true;
}

}  // namespace slmgen
