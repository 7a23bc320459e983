// Canonical adapter writer (spec/adapters.md sections 3-5): header, then each entry header followed
// by its payload, no padding; digest, then checksum. It writes what it is given, valid or not.
// One serialiser feeds both the in-memory writer and the streaming one, so their bytes agree.
#include "slm/adapter.h"

#include <algorithm>
#include <array>

#include "slm/bytes.h"
#include "slm/checksum.h"
#include "slm/sha256.h"
#include "slm/xxh64.h"

namespace slm {
namespace {

constexpr std::size_t kFlushBytes = 64 * 1024;  // the streaming writer's buffer

void write_entry_header(ByteWriter& w, AdapterKind kind, const AdapterEntry& e) {
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
}

// The bytes the entries' payloads take, as written below.
std::uint64_t payload_bytes(AdapterKind kind, const AdapterEntry& e) {
  switch (kind) {
    case AdapterKind::DENSE: return 4 * std::uint64_t{e.values.size()};
    case AdapterKind::SPARSE: return 12 * std::uint64_t{e.indices.size()};
    case AdapterKind::LOW_RANK: return 4 * (std::uint64_t{e.a.size()} + e.b.size());
  }
  return 0;
}

std::uint64_t file_length_of(const Adapter& adapter) {
  std::uint64_t length = kAdapterHeaderLength;
  for (const auto& e : adapter.entries) length += kAdapterEntryHeaderSize + payload_bytes(adapter.kind, e);
  return length;
}

// The whole file in order, handed to emit (Status(std::span<const std::uint8_t>)) in pieces of
// about kFlushBytes, with `digest` at [32, 64) and a zero checksum.
template <class Emit>
Status serialize(const Adapter& adapter, std::uint64_t file_length, const Digest256& digest, Emit&& emit) {
  ByteWriter w;
  const auto flush = [&](std::size_t at_least) {
    if (w.size() < at_least || w.size() == 0) return Status::success();
    Status s = emit(std::span<const std::uint8_t>(w.bytes()));
    w.bytes().clear();
    return s;
  };
  const std::string_view magic = adapter_magic(adapter.kind);
  w.raw({reinterpret_cast<const std::uint8_t*>(magic.data()), magic.size()});
  w.u32(kAdapterVersion);
  w.u32(kAdapterHeaderLength);
  w.u32(0);  // flags
  w.u64(file_length);
  w.u64(0);  // checksum, sealed by the caller
  w.raw(digest);
  const Identity& p = adapter.parent;  // the binding block, format.md 8.4 order
  w.u64(p.parameter_count);
  w.u32(p.tensor_count);
  w.u32(p.flags);
  w.u64(p.layout_checksum);
  w.u64(p.tokenizer_checksum);
  w.raw(p.content_digest);
  w.u32(static_cast<std::uint32_t>(adapter.entries.size()));
  w.zeros(kAdapterHeaderLength - adp::kReserved);
  for (const auto& e : adapter.entries) {
    write_entry_header(w, adapter.kind, e);
    switch (adapter.kind) {
      case AdapterKind::DENSE:  // [n] f32
        for (const float v : e.values) {
          w.f32(v);
          if (auto s = flush(kFlushBytes); !s.ok()) return s;
        }
        break;
      case AdapterKind::SPARSE:  // nnz x (u64 index, f32 value)
        for (std::size_t j = 0; j < e.indices.size(); ++j) {
          w.u64(e.indices[j]);
          w.f32(j < e.values.size() ? e.values[j] : 0.0f);
          if (auto s = flush(kFlushBytes); !s.ok()) return s;
        }
        break;
      case AdapterKind::LOW_RANK:  // A [rank, in], then B [out, rank]
        for (const auto* values : {&e.a, &e.b}) {
          for (const float v : *values) {
            w.f32(v);
            if (auto s = flush(kFlushBytes); !s.ok()) return s;
          }
        }
        break;
    }
  }
  return flush(0);
}

}  // namespace

std::vector<std::uint8_t> write_adapter(const Adapter& adapter) {
  const std::uint64_t length = file_length_of(adapter);
  std::vector<std::uint8_t> bytes;
  bytes.reserve(static_cast<std::size_t>(length));  // one allocation: no doubling of a large adapter
  const Status s = serialize(adapter, length, Digest256{}, [&](std::span<const std::uint8_t> piece) {
    bytes.insert(bytes.end(), piece.begin(), piece.end());
    return Status::success();
  });
  (void)s;  // appending to a vector does not fail
  reseal(bytes);  // digest over [24, 64) read as zero, then checksum: the model's construction
  return bytes;
}

Status write_adapter(const Adapter& adapter, ByteSink& sink) {
  const std::uint64_t length = file_length_of(adapter);
  // Pass 1: the digest, over the file with [24, 64) zero (as serialised with a zero digest).
  Sha256 sha;
  const Status hashed = serialize(adapter, length, Digest256{}, [&](std::span<const std::uint8_t> piece) {
    sha.update(piece);
    return Status::success();
  });
  (void)hashed;  // hashing does not fail
  const Digest256 digest = sha.finish();
  // Pass 2: the bytes with the digest; the checksum (which covers it) computed on the way, then patched.
  const std::uint64_t base = sink.size();
  Xxh64 checksum(0);
  if (auto s = serialize(adapter, length, digest, [&](std::span<const std::uint8_t> piece) {
        checksum.update(piece);
        return sink.append(piece);
      });
      !s.ok()) {
    return s;
  }
  std::array<std::uint8_t, 8> stored{};
  store_u64(stored.data(), checksum.digest());
  return sink.patch(base + adp::kChecksum, stored);
}

}  // namespace slm
