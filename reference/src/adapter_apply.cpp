// Applying adapters to a model held in memory (spec/adapters.md sections 8-9), on top of the one
// descendant path, apply_stack (descendant.h): the ModelDescription is written and validated once,
// the stack streams its descendant into a vector, and only then, when every step passed, is the
// caller's model changed (RT-ADP-006: all or nothing). Also materialize_delta and rollback.
#include "slm/adapter.h"

#include <utility>

#include "slm/byte_sink.h"
#include "slm/bytes.h"
#include "slm/descendant.h"

namespace slm {
namespace {

// Directory entry fields (format.md 6.1) read back from the descendant.
constexpr std::size_t kEntryOffset = 104, kEntryByteSize = 112;

}  // namespace

std::vector<float> materialize_delta(AdapterKind kind, const AdapterEntry& entry) {
  if (kind == AdapterKind::DENSE) return entry.values;  // as stored
  std::vector<float> delta(static_cast<std::size_t>(entry.elements()));  // [n] row-major
  materialize_delta_range(kind, entry, 0, delta);
  return delta;
}

Result<AppliedStack> apply_adapters(ModelDescription& model, std::span<const std::span<const std::uint8_t>> adapters,
                                    std::size_t* failed_adapter) {
  if (failed_adapter) *failed_adapter = kNoAdapter;
  // The model adapters bind to: its full validation verifies the identity (content digest included).
  const std::vector<std::uint8_t> parent = write_model(model);
  const auto info = validate_model(parent, {.verify_digest = true});
  if (!info.ok()) return info.status();
  VectorSink sink;
  auto outcome = apply_stack(parent, info.value(), adapters, &sink, failed_adapter);
  if (!outcome.ok()) return outcome.status();

  AppliedStack applied;
  applied.descendant = std::move(sink.bytes());
  applied.identity = outcome->identity;
  applied.lineage = std::move(outcome->lineage);
  // The model becomes the descendant: each changed tensor (now f32, same name and shape) is read
  // back from the descendant's bytes; the parent's is kept for rollback, ascending index.
  const std::uint64_t directory = info->header.directory.offset, data = info->header.data.offset;
  for (const std::size_t index : outcome->changed_tensors) {
    const std::uint8_t* entry = applied.descendant.data() + static_cast<std::size_t>(directory + index * kDirectoryEntrySize);
    const auto begin = applied.descendant.begin() + static_cast<std::ptrdiff_t>(data + load_u64(entry + kEntryOffset));
    TensorData tensor{model.tensors[index].name, DType::F32, model.tensors[index].shape,
                      {begin, begin + static_cast<std::ptrdiff_t>(load_u64(entry + kEntryByteSize))}};
    applied.originals.push_back({index, std::move(model.tensors[index])});
    model.tensors[index] = std::move(tensor);
  }
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
