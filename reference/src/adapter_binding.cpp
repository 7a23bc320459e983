// Binding an adapter to its parent, checks A29-A36 of spec/adapters.md: the six identity fields in
// storage order, from coarse (size) to fine (every byte), then each entry's target by name and shape.
#include "check.h"
#include "slm/adapter.h"

#include <algorithm>
#include <string>
#include <utility>

namespace slm {
namespace {

// A29-A34: the binding block against the parent's verified identity.
Status check_identity(const Identity& bound, const Identity& parent) {
  if (fails(ErrorCode::E_ADP_PARENT_PARAM_COUNT, bound.parameter_count != parent.parameter_count)) {
    return make_error(ErrorCode::E_ADP_PARENT_PARAM_COUNT, adp::kParentParamCount,
                      "adapter is for a model of " + std::to_string(bound.parameter_count) + " parameters, this one has " +
                          std::to_string(parent.parameter_count));
  }
  if (fails(ErrorCode::E_ADP_PARENT_TENSOR_COUNT, bound.tensor_count != parent.tensor_count)) {
    return make_error(ErrorCode::E_ADP_PARENT_TENSOR_COUNT, adp::kParentTensorCount);
  }
  if (fails(ErrorCode::E_ADP_PARENT_FLAGS, bound.flags != parent.flags)) return make_error(ErrorCode::E_ADP_PARENT_FLAGS, adp::kParentFlags);
  if (fails(ErrorCode::E_ADP_PARENT_LAYOUT, bound.layout_checksum != parent.layout_checksum)) {
    return make_error(ErrorCode::E_ADP_PARENT_LAYOUT, adp::kParentLayoutChecksum,
                      "adapter is for layout " + to_hex_u64(bound.layout_checksum) + ", this model's is " +
                          to_hex_u64(parent.layout_checksum));
  }
  if (fails(ErrorCode::E_ADP_PARENT_TOKENIZER, bound.tokenizer_checksum != parent.tokenizer_checksum)) {
    return make_error(ErrorCode::E_ADP_PARENT_TOKENIZER, adp::kParentTokenizerChecksum);
  }
  if (fails(ErrorCode::E_ADP_PARENT_DIGEST, bound.content_digest != parent.content_digest)) {
    return make_error(ErrorCode::E_ADP_PARENT_DIGEST, adp::kParentDigest,
                      "adapter is for model " + to_hex(bound.content_digest) + ", this one is " + to_hex(parent.content_digest));
  }
  return Status::success();
}

}  // namespace

Status check_adapter_binding(const Adapter& adapter, const ModelInfo& parent) {
  if (auto s = check_identity(adapter.parent, parent.header.identity); !s.ok()) return s;
  // A35-A36 per entry. Parent names sorted once: O((entries + tensors) log tensors).
  std::vector<std::pair<std::string_view, const TensorEntry*>> by_name;
  by_name.reserve(parent.tensors.size());
  for (const auto& t : parent.tensors) by_name.emplace_back(t.name, &t);
  std::sort(by_name.begin(), by_name.end());
  for (const auto& entry : adapter.entries) {
    const auto it = std::lower_bound(by_name.begin(), by_name.end(), std::string_view(entry.name),
                                     [](const auto& item, std::string_view name) { return item.first < name; });
    const bool found = it != by_name.end() && it->first == entry.name;
    if (fails(ErrorCode::E_ADP_TARGET_MISSING, !found)) {
      return make_error(ErrorCode::E_ADP_TARGET_MISSING, entry.offset + adp::kEntryName,
                        "the model has no tensor '" + entry.name + "'");
    }
    if (fails(ErrorCode::E_ADP_TARGET_SHAPE, it->second->shape() != entry.shape)) {
      return make_error(ErrorCode::E_ADP_TARGET_SHAPE, entry.offset + adp::kEntryNdims,
                        "entry '" + entry.name + "' does not have its target's shape");
    }
  }
  return Status::success();
}

Result<Adapter> validate_adapter(std::span<const std::uint8_t> bytes, const ModelInfo& parent) {
  auto adapter = decode_adapter(bytes);
  if (!adapter.ok()) return adapter;
  if (auto s = check_adapter_binding(adapter.value(), parent); !s.ok()) return s;
  return adapter;
}

}  // namespace slm
