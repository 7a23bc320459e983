// Applying a stack of adapters in bounded memory (spec/adapters.md sections 8-9): the descendant is
// streamed into a ByteSink instead of being built in memory.
//
//   parent bytes + ModelInfo + adapter bytes -> apply_stack -> identity, lineage, file length
//                                                            -> (optional) descendant bytes, in order
//
// No intermediate model M_1 ... M_K is ever materialised. A tensor's values after step k are
// recomputed element-wise from the parent's bytes and the adapters' payloads (read in place in the
// adapters' bytes, never copied), fl(fl(W + d1) + d2)..., chunk by chunk; M_k's identity is the
// hash of its virtual canonical bytes. Memory beyond the caller's buffers: each adapter's entry
// headers (name, shape), the parent's directory a few times over, and two chunk buffers of
// kDescendantChunkElements f32 values — nothing that grows with the tensor data. The
// apply_adapters of adapter.h runs on top of it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "slm/adapter.h"
#include "slm/byte_sink.h"
#include "slm/errors.h"
#include "slm/format.h"
#include "slm/model_file.h"
#include "slm/validate.h"

namespace slm {

// Elements per chunk of a recomputed tensor: a multiple of the q8_0/q4_0 block, 64 KiB of f32.
inline constexpr std::uint64_t kDescendantChunkElements = 16384;

// What a stack made, without the bytes.
struct StackOutcome {
  Identity identity;              // the descendant's identity (content digest included)
  Lineage lineage;                // parent digest + one step per adapter
  std::uint64_t file_length = 0;  // the descendant's size in bytes
  // Directory indices of the tensors some step targets, ascending: the tensors rollback must keep
  // (RT-ADP-008); every other tensor of the descendant has the parent's dtype and bytes.
  std::vector<std::size_t> changed_tensors;
};

// Applies `adapters` in order to the fully validated parent (`parent_file` = its bytes, `parent` =
// validate_model(parent_file, {.verify_digest = true}).value()). Adapter k is validated (A1-A36,
// validate_adapter's checks in its order) against the identity of the model adapters 0..k-1 made,
// then A37 (and the per-entry E_LIMIT_ADDRESS_SPACE check) runs for each of its entries in entry
// order, before that model's identity is computed. The spans must stay valid during the call.
//
// If `sink` is non-null, the final descendant's canonical bytes are appended to it in order, and
// only after every adapter passed: the header goes out with its content digest (known from the last
// identity pass) and a zero checksum, the checksum is computed while appending and then patched at
// [24, 32) — the only patch. The bytes equal write_model() of the descendant apply_adapters makes.
//
// On failure: the failing adapter's first failing check (code and offset in that adapter's bytes),
// *failed_adapter = k, and nothing has been appended to the sink (a model M_{k+1} over the format's
// 2^48-byte limit is E_LIMIT_FILE_SIZE at 16 for step k, as validating it would say, never written).
// *failed_adapter = kNoAdapter when
// the parent bytes do not match `parent` (E_FILE_TRUNCATED, E_FILE_TRAILING, E_SECTION_RANGE,
// E_TENSOR_RANGE: a cheap guard, not a re-validation) or when the sink fails (its status, e.g.
// E_IO_WRITE; the sink then holds a prefix of the descendant, which the caller discards).
[[nodiscard]] Result<StackOutcome> apply_stack(std::span<const std::uint8_t> parent_file, const ModelInfo& parent,
                                               std::span<const std::span<const std::uint8_t>> adapters, ByteSink* sink,
                                               std::size_t* failed_adapter = nullptr);

// Elements [begin, begin + out.size()) of the delta `entry` adds to its target (section 8.2), with
// the operations of materialize_delta in its order (which is built on this). The entry must be
// valid and the range inside [0, n).
void materialize_delta_range(AdapterKind kind, const AdapterEntry& entry, std::uint64_t begin, std::span<float> out);
// The same with the payload read from the adapter's bytes: `entry` is one of
// decode_adapter_without_payloads(adapter_file)'s (or decode_adapter's) entries.
void materialize_delta_range(AdapterKind kind, const AdapterEntry& entry, std::span<const std::uint8_t> adapter_file,
                             std::uint64_t begin, std::span<float> out);

// The model a runtime runs: the file at `parent`, or, with adapters, the descendant they make,
// applied in order in memory (apply_stack, all or nothing), with its lineage. On failure
// *failed_adapter is the index of the adapter at fault, or kNoAdapter when the parent is.
struct LoadedDescendant {
  std::shared_ptr<LoadedModel> model;
  std::optional<Lineage> lineage;  // with adapters only
};
// The same from bytes in memory (the WASM ABI's slm_adapter_apply): `parent` is
// validate_model(parent_file, {.verify_digest = true}).value(); the spans need only outlive the call.
[[nodiscard]] Result<LoadedDescendant> descend(std::span<const std::uint8_t> parent_file, const ModelInfo& parent,
                                               std::span<const std::span<const std::uint8_t>> adapters,
                                               std::size_t* failed_adapter = nullptr);
[[nodiscard]] Result<LoadedDescendant> load_descendant(const std::string& parent, const std::vector<std::string>& adapters,
                                                       std::size_t* failed_adapter = nullptr);

}  // namespace slm
