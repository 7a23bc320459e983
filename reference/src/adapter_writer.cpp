// Canonical adapter writer (spec/adapters.md sections 3-5): header, then each entry header followed
// by its payload, no padding; digest, then checksum. It writes what it is given, valid or not.
#include "slm/adapter.h"

#include <algorithm>

#include "slm/bytes.h"
#include "slm/checksum.h"

namespace slm {
namespace {

void write_entry(ByteWriter& w, AdapterKind kind, const AdapterEntry& e) {
  // Entry header (128 bytes): name, reserved, ndims, dims[4], kind fields, reserved.
  const std::size_t name_bytes = std::min<std::size_t>(e.name.size(), kMaxNameLength);
  w.u16(static_cast<std::uint16_t>(std::min<std::size_t>(e.name.size(), 0xFFFF)));
  w.raw({reinterpret_cast<const std::uint8_t*>(e.name.data()), name_bytes});
  w.zeros(kMaxNameLength - name_bytes);
  w.u32(0);
  const std::size_t ndims = std::min<std::size_t>(e.shape.size(), kMaxRank);
  w.u32(static_cast<std::uint32_t>(e.shape.size()));
  for (std::size_t r = 0; r < kMaxRank; ++r) w.u64(r < ndims ? e.shape[r] : 0);
  switch (kind) {
    case AdapterKind::DENSE: w.zeros(8); break;
    case AdapterKind::SPARSE: w.u64(e.indices.size()); break;
    case AdapterKind::LOW_RANK: w.u32(e.rank); w.f32(e.alpha); break;
  }
  w.zeros(16);
  // Payload.
  switch (kind) {
    case AdapterKind::DENSE:  // [n] f32
      for (const float v : e.values) w.f32(v);
      break;
    case AdapterKind::SPARSE:  // nnz x (u64 index, f32 value)
      for (std::size_t j = 0; j < e.indices.size(); ++j) {
        w.u64(e.indices[j]);
        w.f32(j < e.values.size() ? e.values[j] : 0.0f);
      }
      break;
    case AdapterKind::LOW_RANK:  // A [rank, in], then B [out, rank]
      for (const float v : e.a) w.f32(v);
      for (const float v : e.b) w.f32(v);
      break;
  }
}

}  // namespace

std::vector<std::uint8_t> write_adapter(const Adapter& adapter) {
  ByteWriter w;
  const std::string_view magic = adapter_magic(adapter.kind);
  w.raw({reinterpret_cast<const std::uint8_t*>(magic.data()), magic.size()});
  w.u32(kAdapterVersion);
  w.u32(kAdapterHeaderLength);
  w.u32(0);   // flags
  w.u64(0);   // file_length, stored below
  w.u64(0);   // checksum, sealed below
  w.zeros(32);  // adapter digest, sealed below
  const Identity& p = adapter.parent;  // the binding block, format.md 8.4 order
  w.u64(p.parameter_count);
  w.u32(p.tensor_count);
  w.u32(p.flags);
  w.u64(p.layout_checksum);
  w.u64(p.tokenizer_checksum);
  w.raw(p.content_digest);
  w.u32(static_cast<std::uint32_t>(adapter.entries.size()));
  w.zeros(kAdapterHeaderLength - adp::kReserved);
  for (const auto& e : adapter.entries) write_entry(w, adapter.kind, e);
  std::vector<std::uint8_t>& bytes = w.bytes();
  store_u64(bytes.data() + adp::kFileLength, bytes.size());
  reseal(bytes);  // digest over [24, 64) read as zero, then checksum: the model's construction
  return std::move(bytes);
}

}  // namespace slm
