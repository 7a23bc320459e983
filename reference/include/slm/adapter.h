// Adapters (spec/adapters.md): ADP1 (dense), ASP1 (sparse) and ALR1 (low-rank) deltas bound to one
// parent model's identity, and their application to that model.
//
//   bytes -> decode_adapter (checks A1-A28, no parent) -> check_adapter_binding (A29-A36, the parent)
//         -> apply_stack (descendant.h: A37, identity and lineage, the descendant streamed into a sink)
//         -> apply_adapters (the same on a model in memory; all or nothing; what rollback needs)
//
// Results, never exceptions. No allocation is sized by a declared count before the count has been
// checked against the bytes actually present.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slm/byte_sink.h"
#include "slm/errors.h"
#include "slm/format.h"
#include "slm/sha256.h"
#include "slm/validate.h"
#include "slm/writer.h"

namespace slm {

inline constexpr std::uint32_t kAdapterVersion = 1;
inline constexpr std::uint32_t kAdapterHeaderLength = 192;
inline constexpr std::uint64_t kAdapterEntryHeaderSize = 128;

// Header field offsets (spec/adapters.md section 3). [0, 64) is laid out like an SLM1 header, so the
// model's checksum and digest code (checksum.h) hashes adapters unchanged.
namespace adp {
inline constexpr std::size_t kMagic = 0, kVersion = 4, kHeaderLength = 8, kFlags = 12, kFileLength = 16,
                             kChecksum = 24, kDigest = 32, kParentParamCount = 64, kParentTensorCount = 72,
                             kParentFlags = 76, kParentLayoutChecksum = 80, kParentTokenizerChecksum = 88,
                             kParentDigest = 96, kEntryCount = 128, kReserved = 132;
// Entry header field offsets, relative to the entry (section 4.1).
inline constexpr std::size_t kEntryNameLength = 0, kEntryName = 2, kEntryReserved0 = 64, kEntryNdims = 68,
                             kEntryDims = 72, kEntryNnz = 104, kEntryRank = 104, kEntryAlpha = 108,
                             kEntryReservedTail = 112;
}  // namespace adp

// Limits (section 10), the model's own where there is one.
namespace limits {
inline constexpr std::uint64_t kMaxAdapterFileLength = kMaxFileLength;
inline constexpr std::uint32_t kMaxAdapterEntries = kMaxTensorCount;
}  // namespace limits

enum class AdapterKind : std::uint8_t { DENSE, SPARSE, LOW_RANK };  // ADP1, ASP1, ALR1

std::string_view adapter_magic(AdapterKind kind);  // "ADP1", "ASP1", "ALR1"
std::string_view adapter_kind_name(AdapterKind kind);  // "dense", "sparse", "low-rank"

// One target tensor and its delta. Which fields are used depends on the adapter's kind.
struct AdapterEntry {
  std::string name;                    // the target tensor's name
  std::vector<std::uint64_t> shape;    // the target's shape (ndims = shape.size()); low-rank: [out, in]
  std::vector<float> values;           // dense: delta [n], row-major; sparse: value of each pair [nnz]
  std::vector<std::uint64_t> indices;  // sparse: linear element index of each pair [nnz], ascending
  std::uint32_t rank = 0;              // low-rank: r
  float alpha = 0;                     // low-rank: scale numerator, s = alpha / r
  std::vector<float> a;                // low-rank: A [r, in]
  std::vector<float> b;                // low-rank: B [out, r]
  std::uint64_t offset = 0;            // decode: the entry's offset in the file (error offsets); writer: ignored

  std::uint64_t elements() const;      // n, the product of shape
};

struct Adapter {
  AdapterKind kind = AdapterKind::DENSE;
  Identity parent;                     // the binding: the identity of the one model this adapter applies to
  std::vector<AdapterEntry> entries;   // strictly ascending by name in a valid adapter
  Digest256 digest{};                  // decode: the verified adapter digest; writer: ignored (computed)
};

// Checks A1-A28 (standalone validation): structure, limits, checksum, digest, entry semantics.
Result<Adapter> decode_adapter(std::span<const std::uint8_t> bytes);
// The same checks in the same order, without copying the payloads: entries get their name, shape,
// rank, alpha and offset, and empty values, indices, a and b. For appliers that read the deltas
// from the adapter's bytes (apply_stack), so a validated adapter costs no second copy of its payload.
[[nodiscard]] Result<Adapter> decode_adapter_without_payloads(std::span<const std::uint8_t> bytes);

// Reads an adapter file for decode_adapter: checks A1-A11 on its header and real size first (same
// codes and offsets as decode_adapter), so a huge or special file is refused without being read;
// E_IO_READ for what cannot be opened or read (a directory, a FIFO), E_LIMIT_ADDRESS_SPACE for a
// file beyond this machine's memory.
[[nodiscard]] Result<std::vector<std::uint8_t>> read_adapter_file(const std::string& path);

// Checks A29-A36 of a decoded adapter against its parent. `parent` must have passed full validation
// (validate_model with verify_digest), because A34 compares content digests.
Status check_adapter_binding(const Adapter& adapter, const ModelInfo& parent);

// A1-A36 in one call.
Result<Adapter> validate_adapter(std::span<const std::uint8_t> bytes, const ModelInfo& parent);

// The delta an entry adds to its target, [n] row-major (section 8.2): dense as stored, sparse with
// +0.0 where no pair is listed, low-rank merged in the specified order. The entry must be valid.
std::vector<float> materialize_delta(AdapterKind kind, const AdapterEntry& entry);

// Canonical writer (sections 3-5): writes the entries in the order given, computes file_length, the
// adapter digest and the checksum. It does not validate, so the generators can build invalid files.
std::vector<std::uint8_t> write_adapter(const Adapter& adapter);
// The same bytes streamed into `sink` in pieces of about 64 KiB, for adapters too large to hold twice:
// two passes over the entries (the digest, then the bytes and their checksum), then the one patch,
// the checksum at [24, 32) of what this call appended. A sink's failure is returned as is.
[[nodiscard]] Status write_adapter(const Adapter& adapter, ByteSink& sink);

// ---- Application (sections 8-9) ----

struct LineageStep {
  AdapterKind kind = AdapterKind::DENSE;
  Digest256 adapter_digest{};     // names the adapter
  Digest256 descendant_digest{};  // content digest of the model after this step
  bool operator==(const LineageStep&) const = default;
};

// Parent content digest, then one step per adapter in order (RT-ADP-007).
struct Lineage {
  Digest256 parent_digest{};
  std::vector<LineageStep> steps;
  bool operator==(const Lineage&) const = default;
};

// A tensor as it was in the parent, before any step of the stack changed it.
struct OriginalTensor {
  std::size_t index = 0;  // position in the model's tensor list (directory order)
  TensorData tensor;
};

struct AppliedStack {
  std::vector<std::uint8_t> descendant;  // canonical SLM1 bytes of the final model
  Identity identity;                     // the descendant's identity
  Lineage lineage;
  std::vector<OriginalTensor> originals;  // what rollback_adapters needs, ascending index
};

inline constexpr std::size_t kNoAdapter = std::numeric_limits<std::size_t>::max();

// Applies the adapters in order, adapter k to the model produced by adapters 0..k-1 (RT-ADP-005).
// It is apply_stack (descendant.h) with the model written once and the descendant kept in memory.
// All or nothing (RT-ADP-006): on success `model` becomes the descendant; on failure `model` is
// untouched, the status is the failing adapter's first failing check (offset in that adapter's
// bytes) and *failed_adapter (if given) is its index, or kNoAdapter when the model itself is invalid.
Result<AppliedStack> apply_adapters(ModelDescription& model, std::span<const std::span<const std::uint8_t>> adapters,
                                    std::size_t* failed_adapter = nullptr);
Result<AppliedStack> apply_adapters(ModelDescription& model, const std::vector<std::vector<std::uint8_t>>& adapters,
                                    std::size_t* failed_adapter = nullptr);

// Puts the parent's tensors back (RT-ADP-008): `model` must be the descendant `applied` produced.
// Afterwards write_model(model) is bit-identical to the parent's bytes.
void rollback_adapters(ModelDescription& model, const AppliedStack& applied);

}  // namespace slm
