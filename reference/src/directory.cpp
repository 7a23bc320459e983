// Tensor directory: per-entry structure and layout checks (spec/format.md section 6, check order 21-34).
#include <algorithm>
#include <string>
#include <unordered_set>

#include "check.h"
#include "slm/bytes.h"
#include "slm/decode.h"

namespace slm {
namespace {

bool is_name_byte(std::uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }

// Entry field offsets within the 128-byte record.
constexpr std::size_t kNameLength = 0, kName = 2, kDtype = 64, kRank = 68, kDims = 72, kOffset = 104,
                      kByteSize = 112, kReserved = 120;

}  // namespace

Status decode_directory(std::span<const std::uint8_t> directory, std::uint64_t base, const Header& header,
                        std::vector<TensorEntry>& out) {
  const std::uint64_t count = header.identity.tensor_count;
  const std::uint64_t data_length = header.data.length;
  std::unordered_set<std::string> seen;
  out.reserve(static_cast<std::size_t>(count));  // bounded by limits::kMaxTensorCount (check 11)
  std::uint64_t previous_end = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint8_t* e = directory.data() + i * kDirectoryEntrySize;
    const std::uint64_t at = base + i * kDirectoryEntrySize;
    TensorEntry t;
    // 21. name: 1..62 bytes of [a-z0-9_.], zero-filled to the end of the field
    const std::uint16_t name_length = load_u16(e + kNameLength);
    if (fails(ErrorCode::E_TENSOR_NAME, name_length == 0 || name_length > kMaxNameLength)) {
      return make_error(ErrorCode::E_TENSOR_NAME, at + kNameLength,
                        "name_length " + std::to_string(name_length) + " is not in 1..62");
    }
    for (std::size_t k = 0; k < kMaxNameLength; ++k) {
      const std::uint8_t c = e[kName + k];
      if (fails(ErrorCode::E_TENSOR_NAME, k < name_length ? !is_name_byte(c) : c != 0)) return make_error(ErrorCode::E_TENSOR_NAME, at + kName + k);
    }
    t.name.assign(reinterpret_cast<const char*>(e + kName), name_length);
    // 22. unique
    if (fails(ErrorCode::E_TENSOR_DUPLICATE, !seen.insert(t.name).second)) {
      return make_error(ErrorCode::E_TENSOR_DUPLICATE, at + kName, "tensor '" + t.name + "' appears twice");
    }
    // 23-24. dtype and rank
    const std::uint32_t dtype = load_u32(e + kDtype);
    if (fails(ErrorCode::E_TENSOR_DTYPE, !is_known_dtype(dtype))) {
      return make_error(ErrorCode::E_TENSOR_DTYPE, at + kDtype, "dtype " + std::to_string(dtype) + " is unknown");
    }
    t.dtype = static_cast<DType>(dtype);
    t.rank = load_u32(e + kRank);
    if (fails(ErrorCode::E_TENSOR_RANK, t.rank == 0 || t.rank > kMaxRank)) return make_error(ErrorCode::E_TENSOR_RANK, at + kRank);
    // 25. dims: non-zero within the rank, zero beyond it
    for (std::uint32_t r = 0; r < kMaxRank; ++r) {
      t.dims[r] = load_u64(e + kDims + 8 * r);
      if (fails(ErrorCode::E_TENSOR_SHAPE, (r < t.rank) == (t.dims[r] == 0))) return make_error(ErrorCode::E_TENSOR_SHAPE, at + kDims + 8 * r);
    }
    // 26. element count limit (checked product)
    std::uint64_t elements = 1;
    for (std::uint32_t r = 0; r < t.rank; ++r) {
      if (fails(ErrorCode::E_LIMIT_TENSOR_SIZE, !checked_mul(elements, t.dims[r], elements) || elements > limits::kMaxTensorElements)) {
        return make_error(ErrorCode::E_LIMIT_TENSOR_SIZE, at + kDims, "tensor '" + t.name + "' has too many elements");
      }
    }
    // 27. quantized rows are whole blocks
    if (fails(ErrorCode::E_TENSOR_BLOCK, t.dtype != DType::F32 && t.dims[t.rank - 1] % kBlockSize != 0)) {
      return make_error(ErrorCode::E_TENSOR_BLOCK, at + kDims + 8 * (t.rank - 1));
    }
    // 28. byte size follows from dtype and dims
    t.byte_size = load_u64(e + kByteSize);
    const std::uint64_t expected_size = dtype_bytes(t.dtype, elements);
    if (fails(ErrorCode::E_TENSOR_BYTE_SIZE, t.byte_size != expected_size)) {
      return make_error(ErrorCode::E_TENSOR_BYTE_SIZE, at + kByteSize,
                        "byte_size " + std::to_string(t.byte_size) + ", expected " + std::to_string(expected_size));
    }
    // 29. reserved
    if (fails(ErrorCode::E_TENSOR_RESERVED, load_u64(e + kReserved) != 0)) return make_error(ErrorCode::E_TENSOR_RESERVED, at + kReserved);
    // 30-33. placement: aligned, inside the data section, right after the previous tensor's padding
    t.offset = load_u64(e + kOffset);
    std::uint64_t end = 0;
    if (fails(ErrorCode::E_TENSOR_ALIGN, t.offset % kAlignment != 0)) return make_error(ErrorCode::E_TENSOR_ALIGN, at + kOffset);
    if (fails(ErrorCode::E_TENSOR_RANGE, !checked_add(t.offset, t.byte_size, end) || end > data_length)) {
      return make_error(ErrorCode::E_TENSOR_RANGE, at + kOffset, "tensor '" + t.name + "' ends past the data section");
    }
    if (fails(ErrorCode::E_TENSOR_OVERLAP, t.offset < previous_end)) return make_error(ErrorCode::E_TENSOR_OVERLAP, at + kOffset);
    std::uint64_t canonical = 0;
    checked_align_up(previous_end, kAlignment, canonical);  // previous_end <= data_length <= 2^48
    if (fails(ErrorCode::E_TENSOR_GAP, t.offset != canonical)) {
      return make_error(ErrorCode::E_TENSOR_GAP, at + kOffset,
                        "tensor '" + t.name + "' must start at " + std::to_string(canonical));
    }
    previous_end = end;
    out.push_back(std::move(t));
  }
  // 34. the data section is exactly the tensors and their padding
  std::uint64_t covered = 0;
  checked_align_up(previous_end, kAlignment, covered);
  if (fails(ErrorCode::E_DATA_LENGTH, data_length != covered)) {
    return make_error(ErrorCode::E_DATA_LENGTH, hdr::kDataLength,
                      "data_length " + std::to_string(data_length) + ", tensors cover " + std::to_string(covered));
  }
  return Status::success();
}

void encode_directory_entry(const TensorEntry& t, std::uint8_t* e) {
  std::fill(e, e + kDirectoryEntrySize, std::uint8_t{0});
  // Names longer than the field are cut (the writer never fails); the decoder rejects them anyway.
  const std::size_t stored = std::min<std::size_t>(t.name.size(), kMaxNameLength);
  store_u16(e + kNameLength, static_cast<std::uint16_t>(stored));
  std::copy_n(t.name.begin(), stored, e + kName);
  store_u32(e + kDtype, static_cast<std::uint32_t>(t.dtype));
  store_u32(e + kRank, t.rank);
  for (std::uint32_t r = 0; r < kMaxRank; ++r) store_u64(e + kDims + 8 * r, t.dims[r]);
  store_u64(e + kOffset, t.offset);
  store_u64(e + kByteSize, t.byte_size);
}

}  // namespace slm
