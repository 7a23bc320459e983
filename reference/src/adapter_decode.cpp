// Standalone adapter validation, checks A1-A28 of spec/adapters.md in order: header (A1-A11), the
// entry walk that proves every declared size against the bytes present (A12-A19), checksum and
// digest (A20-A21), then entry semantics (A22-A28). Nothing is allocated from a declared count
// before the walk has shown that the bytes it describes are in the file.
#include "check.h"
#include "slm/adapter.h"
#include "slm/model_file.h"
#include "slm/source.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "slm/bytes.h"
#include "slm/checksum.h"

namespace slm {
namespace {

constexpr std::array<AdapterKind, 3> kKinds = {AdapterKind::DENSE, AdapterKind::SPARSE, AdapterKind::LOW_RANK};

// An f32 is finite unless its exponent bits are all ones (NaN, +-inf). Bit test: no FP environment.
bool is_finite_f32(const std::uint8_t* p) { return (load_u32(p) & 0x7F800000u) != 0x7F800000u; }

bool is_name_byte(std::uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }

// What the walk reads from an entry header: enough to find the next entry.
struct EntryLayout {
  std::uint64_t at = 0;  // E, the entry header's offset
  std::uint32_t ndims = 0;
  std::array<std::uint64_t, kMaxRank> dims{};
  std::uint64_t elements = 0;        // n
  std::uint64_t nnz = 0;             // sparse
  std::uint32_t rank = 0;            // low-rank
  std::uint64_t payload_length = 0;  // p
  std::uint64_t payload() const { return at + kAdapterEntryHeaderSize; }  // P
};

// A1: the first min(size, 4) bytes must be a prefix of one of the three magics.
Status check_magic(std::span<const std::uint8_t> bytes, AdapterKind& kind) {
  bool candidate[3] = {true, true, true};
  const std::size_t n = std::min<std::size_t>(bytes.size(), 4);
  for (std::size_t i = 0; i < n; ++i) {
    bool any = false;
    for (std::size_t m = 0; m < kKinds.size(); ++m) {
      candidate[m] = candidate[m] && static_cast<std::uint8_t>(adapter_magic(kKinds[m])[i]) == bytes[i];
      any = any || candidate[m];
    }
    if (fails(ErrorCode::E_ADP_MAGIC, !any)) return make_error(ErrorCode::E_ADP_MAGIC, i);
  }
  for (std::size_t m = 0; m < kKinds.size(); ++m) {
    if (candidate[m]) kind = kKinds[m];
  }
  return Status::success();
}

// A1-A11 on the first min(size, 192) bytes of a file of `size` bytes.
Status decode_adapter_header(std::span<const std::uint8_t> bytes, std::uint64_t size, Adapter& out, std::uint32_t& entry_count) {
  if (auto s = check_magic(bytes, out.kind); !s.ok()) return s;
  if (fails(ErrorCode::E_ADP_VERSION, size >= 8 && load_u32(bytes.data() + adp::kVersion) != kAdapterVersion)) {
    return make_error(ErrorCode::E_ADP_VERSION, adp::kVersion);
  }
  if (fails(ErrorCode::E_ADP_HDR_TRUNCATED, size < kAdapterHeaderLength)) return make_error(ErrorCode::E_ADP_HDR_TRUNCATED, size);
  const std::uint8_t* h = bytes.data();
  if (fails(ErrorCode::E_ADP_HDR_LENGTH, load_u32(h + adp::kHeaderLength) != kAdapterHeaderLength)) {
    return make_error(ErrorCode::E_ADP_HDR_LENGTH, adp::kHeaderLength);
  }
  const std::uint64_t file_length = load_u64(h + adp::kFileLength);
  if (fails(ErrorCode::E_ADP_LIMIT_FILE_SIZE, file_length > limits::kMaxAdapterFileLength)) {
    return make_error(ErrorCode::E_ADP_LIMIT_FILE_SIZE, adp::kFileLength);
  }
  if (fails(ErrorCode::E_ADP_FILE_TRUNCATED, size < file_length)) {
    return make_error(ErrorCode::E_ADP_FILE_TRUNCATED, size,
                      "adapter has " + std::to_string(size) + " bytes, file_length says " + std::to_string(file_length));
  }
  if (fails(ErrorCode::E_ADP_FILE_TRAILING, size > file_length)) return make_error(ErrorCode::E_ADP_FILE_TRAILING, file_length);
  if (fails(ErrorCode::E_ADP_FLAGS, load_u32(h + adp::kFlags) != 0)) return make_error(ErrorCode::E_ADP_FLAGS, adp::kFlags);
  for (std::size_t at = adp::kReserved; at < kAdapterHeaderLength; ++at) {
    if (fails(ErrorCode::E_ADP_RESERVED, h[at] != 0)) return make_error(ErrorCode::E_ADP_RESERVED, at);
  }
  entry_count = load_u32(h + adp::kEntryCount);
  if (fails(ErrorCode::E_ADP_LIMIT_ENTRY_COUNT, entry_count > limits::kMaxAdapterEntries)) {
    return make_error(ErrorCode::E_ADP_LIMIT_ENTRY_COUNT, adp::kEntryCount);
  }
  if (fails(ErrorCode::E_ADP_NO_ENTRIES, entry_count == 0)) return make_error(ErrorCode::E_ADP_NO_ENTRIES, adp::kEntryCount);

  Identity& p = out.parent;
  p.parameter_count = load_u64(h + adp::kParentParamCount);
  p.tensor_count = load_u32(h + adp::kParentTensorCount);
  p.flags = load_u32(h + adp::kParentFlags);
  p.layout_checksum = load_u64(h + adp::kParentLayoutChecksum);
  p.tokenizer_checksum = load_u64(h + adp::kParentTokenizerChecksum);
  std::memcpy(p.content_digest.data(), h + adp::kParentDigest, p.content_digest.size());
  std::memcpy(out.digest.data(), h + adp::kDigest, out.digest.size());
  return Status::success();
}

// A12-A18 for the entry at `at`; file_length = bytes.size() after A7.
Status walk_entry(std::span<const std::uint8_t> bytes, AdapterKind kind, std::uint64_t at, EntryLayout& e) {
  const std::uint64_t file_length = bytes.size();
  if (fails(ErrorCode::E_ADP_ENTRY_TRUNCATED, file_length - at < kAdapterEntryHeaderSize)) {
    return make_error(ErrorCode::E_ADP_ENTRY_TRUNCATED, file_length, "entry header at " + std::to_string(at) + " is cut off");
  }
  const std::uint8_t* p = bytes.data() + static_cast<std::size_t>(at);
  e.at = at;
  e.ndims = load_u32(p + adp::kEntryNdims);
  const bool bad_ndims = e.ndims == 0 || e.ndims > kMaxRank || (kind == AdapterKind::LOW_RANK && e.ndims != 2);
  if (fails(ErrorCode::E_ADP_ENTRY_NDIMS, bad_ndims)) return make_error(ErrorCode::E_ADP_ENTRY_NDIMS, at + adp::kEntryNdims);
  for (std::uint32_t r = 0; r < kMaxRank; ++r) {
    e.dims[r] = load_u64(p + adp::kEntryDims + 8 * r);
    if (fails(ErrorCode::E_ADP_ENTRY_SHAPE, (r < e.ndims) == (e.dims[r] == 0))) {
      return make_error(ErrorCode::E_ADP_ENTRY_SHAPE, at + adp::kEntryDims + 8 * r);
    }
  }
  // A15: every dim is >= 1 now, so an overflowing partial product is also above the limit.
  e.elements = 1;
  for (std::uint32_t r = 0; r < e.ndims; ++r) {
    const bool over = !checked_mul(e.elements, e.dims[r], e.elements) || e.elements > limits::kMaxTensorElements;
    if (fails(ErrorCode::E_ADP_LIMIT_ELEMENTS, over)) return make_error(ErrorCode::E_ADP_LIMIT_ELEMENTS, at + adp::kEntryDims);
  }
  // A16: [64, 68), then the kind's reserved tail (dense entries have no kind fields at 104).
  const std::size_t tail = kind == AdapterKind::DENSE ? adp::kEntryNnz : adp::kEntryReservedTail;
  const std::size_t reserved[2][2] = {{adp::kEntryReserved0, adp::kEntryReserved0 + 4}, {tail, kAdapterEntryHeaderSize}};
  for (const auto& range : reserved) {
    for (std::size_t k = range[0]; k < range[1]; ++k) {
      if (fails(ErrorCode::E_ADP_ENTRY_RESERVED, p[k] != 0)) return make_error(ErrorCode::E_ADP_ENTRY_RESERVED, at + k);
    }
  }
  bool fits = true;
  switch (kind) {
    case AdapterKind::DENSE: e.payload_length = 4 * e.elements; break;  // <= 2^42
    case AdapterKind::SPARSE:
      e.nnz = load_u64(p + adp::kEntryNnz);
      if (fails(ErrorCode::E_ADP_SPARSE_COUNT, e.nnz == 0 || e.nnz > e.elements)) {
        return make_error(ErrorCode::E_ADP_SPARSE_COUNT, at + adp::kEntryNnz,
                          "nnz " + std::to_string(e.nnz) + " for " + std::to_string(e.elements) + " elements");
      }
      e.payload_length = 12 * e.nnz;  // <= 12 * 2^40
      break;
    case AdapterKind::LOW_RANK: {
      // 4 * rank * (out + in) can exceed 2^64 for garbage fields: overflow means "not in the file".
      e.rank = load_u32(p + adp::kEntryRank);
      std::uint64_t sides = 0, floats = 0;
      fits = checked_add(e.dims[0], e.dims[1], sides) && checked_mul(sides, e.rank, floats) &&
             checked_mul(floats, 4, e.payload_length);
      break;
    }
  }
  const std::uint64_t room = file_length - e.payload();  // A12 passed: no underflow
  if (fails(ErrorCode::E_ADP_PAYLOAD_TRUNCATED, !fits || e.payload_length > room)) {
    return make_error(ErrorCode::E_ADP_PAYLOAD_TRUNCATED, file_length,
                      "payload of the entry at " + std::to_string(at) + " is cut off");
  }
  return Status::success();
}

// A22: the name field, exactly like a model directory entry's name (SLM-DIR-001).
Status check_entry_name(const std::uint8_t* p, std::uint64_t at, std::string& name) {
  const std::uint16_t length = load_u16(p + adp::kEntryNameLength);
  if (fails(ErrorCode::E_ADP_ENTRY_NAME, length == 0 || length > kMaxNameLength)) return make_error(ErrorCode::E_ADP_ENTRY_NAME, at);
  for (std::uint32_t k = 0; k < kMaxNameLength; ++k) {
    const std::uint8_t c = p[adp::kEntryName + k];
    if (fails(ErrorCode::E_ADP_ENTRY_NAME, k < length ? !is_name_byte(c) : c != 0)) {
      return make_error(ErrorCode::E_ADP_ENTRY_NAME, at + adp::kEntryName + k);
    }
  }
  name.assign(reinterpret_cast<const char*>(p + adp::kEntryName), length);
  return Status::success();
}

// A28 over `count` f32 values at `at` spaced `stride` bytes apart; copies them into `out` if given.
Status read_finite_values(std::span<const std::uint8_t> bytes, std::uint64_t at, std::uint64_t count, std::uint64_t stride,
                          std::vector<float>* out) {
  if (out) out->resize(static_cast<std::size_t>(count));  // count * stride bytes were proved present by A18
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::uint64_t offset = at + k * stride;
    const std::uint8_t* p = bytes.data() + static_cast<std::size_t>(offset);
    if (fails(ErrorCode::E_ADP_VALUE_NONFINITE, !is_finite_f32(p))) return make_error(ErrorCode::E_ADP_VALUE_NONFINITE, offset);
    if (out) (*out)[static_cast<std::size_t>(k)] = load_f32(p);
  }
  return Status::success();
}

// A22-A28 for one entry; fills `entry`, its payload vectors only if `payloads`.
Status decode_entry(std::span<const std::uint8_t> bytes, AdapterKind kind, const EntryLayout& e, const std::string* previous,
                    bool payloads, AdapterEntry& entry) {
  const std::uint8_t* p = bytes.data() + static_cast<std::size_t>(e.at);
  entry.offset = e.at;
  entry.shape.assign(e.dims.begin(), e.dims.begin() + e.ndims);
  if (auto s = check_entry_name(p, e.at, entry.name); !s.ok()) return s;
  if (fails(ErrorCode::E_ADP_ENTRY_ORDER, previous != nullptr && !(*previous < entry.name))) {
    return make_error(ErrorCode::E_ADP_ENTRY_ORDER, e.at + adp::kEntryName,
                      "'" + entry.name + "' does not sort after '" + *previous + "'");
  }
  const std::uint64_t payload = e.payload();
  switch (kind) {
    case AdapterKind::DENSE:  // [n] f32
      return read_finite_values(bytes, payload, e.elements, 4, payloads ? &entry.values : nullptr);
    case AdapterKind::SPARSE: {  // nnz x (u64 index, f32 value)
      if (payloads) entry.indices.resize(static_cast<std::size_t>(e.nnz));
      std::uint64_t previous_index = 0;
      for (std::uint64_t j = 0; j < e.nnz; ++j) {
        const std::uint64_t at = payload + 12 * j;
        const std::uint64_t index = load_u64(bytes.data() + static_cast<std::size_t>(at));
        if (fails(ErrorCode::E_ADP_SPARSE_RANGE, index >= e.elements)) {
          return make_error(ErrorCode::E_ADP_SPARSE_RANGE, at, "index " + std::to_string(index) + " of " + std::to_string(e.elements));
        }
        if (fails(ErrorCode::E_ADP_SPARSE_ORDER, j > 0 && index <= previous_index)) return make_error(ErrorCode::E_ADP_SPARSE_ORDER, at);
        // Test-only (slm_reference_faulty): the misreading "A28 per pair" that a case tells apart.
        if (fault_active("asp-a28-per-pair") && !is_finite_f32(bytes.data() + static_cast<std::size_t>(at) + 8)) {
          return make_error(ErrorCode::E_ADP_VALUE_NONFINITE, at + 8);
        }
        previous_index = index;
        if (payloads) entry.indices[static_cast<std::size_t>(j)] = index;
      }
      return read_finite_values(bytes, payload + 8, e.nnz, 12, payloads ? &entry.values : nullptr);
    }
    case AdapterKind::LOW_RANK: {  // A [rank, in], then B [out, rank]
      const std::uint64_t out_dim = e.dims[0], in_dim = e.dims[1];
      if (fails(ErrorCode::E_ADP_LORA_RANK, e.rank == 0 || e.rank > std::min(out_dim, in_dim))) {
        return make_error(ErrorCode::E_ADP_LORA_RANK, e.at + adp::kEntryRank,
                          "rank " + std::to_string(e.rank) + " for a [" + std::to_string(out_dim) + ", " +
                              std::to_string(in_dim) + "] target");
      }
      entry.rank = e.rank;
      entry.alpha = load_f32(p + adp::kEntryAlpha);
      if (fails(ErrorCode::E_ADP_LORA_ALPHA, !is_finite_f32(p + adp::kEntryAlpha) || entry.alpha == 0.0f)) {
        return make_error(ErrorCode::E_ADP_LORA_ALPHA, e.at + adp::kEntryAlpha);
      }
      const std::uint64_t a_count = e.rank * in_dim;  // <= 2^40: rank <= out
      if (auto s = read_finite_values(bytes, payload, a_count, 4, payloads ? &entry.a : nullptr); !s.ok()) return s;
      return read_finite_values(bytes, payload + 4 * a_count, out_dim * e.rank, 4, payloads ? &entry.b : nullptr);
    }
  }
  return Status::success();
}

}  // namespace

std::string_view adapter_magic(AdapterKind kind) {
  switch (kind) {
    case AdapterKind::DENSE: return "ADP1";
    case AdapterKind::SPARSE: return "ASP1";
    case AdapterKind::LOW_RANK: return "ALR1";
  }
  return "ADP1";
}

std::string_view adapter_kind_name(AdapterKind kind) {
  switch (kind) {
    case AdapterKind::DENSE: return "dense";
    case AdapterKind::SPARSE: return "sparse";
    case AdapterKind::LOW_RANK: return "low-rank";
  }
  return "dense";
}

std::uint64_t AdapterEntry::elements() const {
  std::uint64_t n = 1;
  for (const std::uint64_t d : shape) n *= d;
  return n;
}

namespace {

// A1-A28 in order; the entries' payload vectors are filled only if `payloads`.
Result<Adapter> decode_adapter_checked(std::span<const std::uint8_t> bytes, bool payloads) {
  Adapter adapter;
  std::uint32_t entry_count = 0;
  // A1-A11
  if (auto s = decode_adapter_header(bytes, bytes.size(), adapter, entry_count); !s.ok()) return s;
  // A12-A19: every entry and payload inside the file (size == file_length after A7)
  std::vector<EntryLayout> layout;
  std::uint64_t at = kAdapterHeaderLength;
  for (std::uint32_t i = 0; i < entry_count; ++i) {
    EntryLayout e;
    if (auto s = walk_entry(bytes, adapter.kind, at, e); !s.ok()) return s;
    layout.push_back(e);  // grows only with entries proved present: 128 bytes each
    at = e.payload() + e.payload_length;
  }
  if (fails(ErrorCode::E_ADP_ENTRY_TRAILING, at != bytes.size())) return make_error(ErrorCode::E_ADP_ENTRY_TRAILING, at);
  // A20-A21
  const std::uint64_t checksum = file_checksum(bytes);
  if (fails(ErrorCode::E_ADP_CHECKSUM, checksum != load_u64(bytes.data() + adp::kChecksum))) {
    return make_error(ErrorCode::E_ADP_CHECKSUM, adp::kChecksum, "checksum is " + to_hex_u64(checksum));
  }
  const Digest256 digest = content_digest(bytes);
  if (fails(ErrorCode::E_ADP_DIGEST, digest != adapter.digest)) {
    return make_error(ErrorCode::E_ADP_DIGEST, adp::kDigest, "adapter digest is " + to_hex(digest));
  }
  // A22-A28, entry by entry
  adapter.entries.resize(layout.size());
  for (std::size_t i = 0; i < layout.size(); ++i) {
    const std::string* previous = i > 0 ? &adapter.entries[i - 1].name : nullptr;
    if (auto s = decode_entry(bytes, adapter.kind, layout[i], previous, payloads, adapter.entries[i]); !s.ok()) return s;
  }
  return adapter;
}

}  // namespace

Result<Adapter> decode_adapter(std::span<const std::uint8_t> bytes) { return decode_adapter_checked(bytes, true); }

Result<Adapter> decode_adapter_without_payloads(std::span<const std::uint8_t> bytes) { return decode_adapter_checked(bytes, false); }

Result<std::vector<std::uint8_t>> read_adapter_file(const std::string& path) {
  auto source = FileSource::open(path);
  if (!source.ok()) return source.status();
  const std::uint64_t size = source.value()->size();
  // A1-A11 need only the header and the real size: a huge, sparse or wrong file is refused here,
  // before its bytes are read or memory is reserved for them.
  std::array<std::uint8_t, kAdapterHeaderLength> prefix{};
  const std::span<std::uint8_t> head(prefix.data(), static_cast<std::size_t>(std::min<std::uint64_t>(size, prefix.size())));
  if (auto s = source.value()->read(0, head); !s.ok()) return s;
  Adapter header;
  std::uint32_t entry_count = 0;
  if (auto s = decode_adapter_header(head, size, header, entry_count); !s.ok()) return s;
  return read_file_bytes(path);
}

}  // namespace slm
