// Applying a stack without building it (spec/adapters.md sections 8-9). Every model of the chain
// M_1 ... M_K is "virtual": its layout is computed from the parent's directory and the set of
// targets, its tensor bytes are recomputed chunk by chunk from the parent's bytes and the adapters'
// payloads (read where they lie in the adapters' bytes), in the order of the in-memory chain
// (decode, + d1, + d2, ... in f32), and streamed through SHA-256 (identity) or into the sink.
#include "check.h"
#include "slm/descendant.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "slm/bytes.h"
#include "slm/decode.h"
#include "slm/quant.h"
#include "slm/sha256.h"
#include "slm/xxh64.h"

namespace slm {
namespace {

constexpr std::array<std::uint8_t, kAlignment> kZeros{};  // padding runs are shorter than 64 bytes

bool is_finite(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return (bits & 0x7F800000u) != 0x7F800000u;
}

std::uint64_t align_up(std::uint64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

std::size_t to_size(std::uint64_t v) { return static_cast<std::size_t>(v); }

// An entry's payload where decode_adapter put it: the entry's vectors.
struct DecodedPayload {
  const AdapterEntry& e;
  float dense(std::uint64_t k) const { return e.values[to_size(k)]; }
  std::uint64_t nnz() const { return e.indices.size(); }
  std::uint64_t index(std::uint64_t j) const { return e.indices[to_size(j)]; }
  float value(std::uint64_t j) const { return e.values[to_size(j)]; }
  float a(std::uint64_t k) const { return e.a[to_size(k)]; }
  float b(std::uint64_t k) const { return e.b[to_size(k)]; }
};

// An entry's payload where it lies in the validated adapter's bytes (section 4.2): read in place,
// so that applying costs no second copy of the adapter.
struct FilePayload {
  const std::uint8_t* p = nullptr;  // the payload, at E + 128
  std::uint64_t pairs = 0;          // sparse: nnz, from the entry header
  std::uint64_t a_count = 0;        // low-rank: rank * in, the floats of A; B follows
  float dense(std::uint64_t k) const { return load_f32(p + to_size(4 * k)); }
  std::uint64_t nnz() const { return pairs; }
  std::uint64_t index(std::uint64_t j) const { return load_u64(p + to_size(12 * j)); }
  float value(std::uint64_t j) const { return load_f32(p + to_size(12 * j + 8)); }
  float a(std::uint64_t k) const { return load_f32(p + to_size(4 * k)); }
  float b(std::uint64_t k) const { return load_f32(p + to_size(4 * (a_count + k))); }
};

FilePayload file_payload(AdapterKind kind, const AdapterEntry& e, std::span<const std::uint8_t> file) {
  const std::uint8_t* header = file.data() + to_size(e.offset);
  FilePayload p;
  p.p = header + kAdapterEntryHeaderSize;
  if (kind == AdapterKind::SPARSE) p.pairs = load_u64(header + adp::kEntryNnz);
  if (kind == AdapterKind::LOW_RANK) p.a_count = std::uint64_t{e.rank} * e.shape[1];
  return p;
}

// Section 8.2 for elements [begin, begin + out.size()), whichever way the payload is held.
template <class Payload>
void delta_range(AdapterKind kind, const AdapterEntry& e, const Payload& p, std::uint64_t begin, std::span<float> out) {
  switch (kind) {
    case AdapterKind::DENSE:  // delta [n] as stored
      for (std::size_t j = 0; j < out.size(); ++j) out[j] = p.dense(begin + j);
      return;
    case AdapterKind::SPARSE: {  // +0.0 where no pair is listed; indices ascending (A26)
      std::fill(out.begin(), out.end(), 0.0f);
      const std::uint64_t end = begin + out.size();
      std::uint64_t lo = 0, hi = p.nnz();  // the first pair whose index is >= begin
      while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        if (p.index(mid) < begin) lo = mid + 1;
        else hi = mid;
      }
      for (std::uint64_t j = lo; j < p.nnz(); ++j) {
        const std::uint64_t index = p.index(j);
        if (index >= end) break;
        if (index >= begin) out[to_size(index - begin)] = p.value(j);  // the guard matters only if A26 is switched off
      }
      return;
    }
    case AdapterKind::LOW_RANK: {
      // s = alpha / r; each element sums B[o, q] * A[q, i] over ascending q from +0, one rounding per
      // operation (-ffp-contract=off keeps the product and the sum separate), then one product by s.
      const std::uint64_t in_dim = e.shape[1], r = e.rank;
      const float s = e.alpha / static_cast<float>(e.rank);
      std::uint64_t o = begin / in_dim, i = begin % in_dim;
      for (float& delta : out) {
        float t = 0.0f;
        for (std::uint64_t q = 0; q < r; ++q) {
          const float product = p.b(o * r + q) * p.a(q * in_dim + i);  // B [out, r] row o, A [r, in] column i
          t = t + product;
        }
        delta = s * t;
        if (++i == in_dim) {
          i = 0;
          ++o;
        }
      }
      return;
    }
  }
}

// One step's entry for one tensor.
struct Touch {
  std::size_t step = 0;  // position of the adapter in the stack
  AdapterKind kind = AdapterKind::DENSE;
  const AdapterEntry* entry = nullptr;  // decoded without its payload
  FilePayload payload;                  // in the adapter's bytes
};

// The parent, and what the steps validated so far do to it.
struct Stack {
  std::span<const std::uint8_t> file;  // the parent's bytes
  const ModelInfo* parent = nullptr;
  std::vector<Adapter> adapters;            // decoded without payloads, stack order; reserved so entries stay put
  std::vector<std::vector<Touch>> touches;  // [tensor_count]: the steps that change each tensor, in order
  std::vector<std::vector<std::size_t>> targets;  // [step][entry]: the directory index of each entry's target

  // Whether tensor i is one of the first `steps` steps' targets (and thus f32 in M_steps).
  bool targeted(std::size_t i, std::size_t steps) const { return !touches[i].empty() && touches[i].front().step < steps; }
  std::span<const std::uint8_t> parent_tensor(std::size_t i) const {
    const TensorEntry& t = parent->tensors[i];
    return file.subspan(to_size(parent->header.data.offset + t.offset), to_size(t.byte_size));
  }
};

struct Buffers {
  std::vector<float> w, d;  // [kDescendantChunkElements]: a chunk of a tensor's values, of one delta
};

// Elements [begin, begin + w.size()) of tensor i after the first `steps` steps: decoded exactly
// (format.md 6.3), then w = w + delta of each step in order, one f32 rounding per addition. The
// bit pattern of today's in-memory chain, where each step decoded the f32 its predecessor stored.
void values_after(const Stack& s, std::size_t i, std::size_t steps, std::uint64_t begin, std::span<float> w,
                  std::span<float> d) {
  const std::span<const std::uint8_t> bytes = s.parent_tensor(i);
  switch (s.parent->tensors[i].dtype) {  // chunks start and end on block boundaries (multiples of 32)
    case DType::F32: std::memcpy(w.data(), bytes.data() + to_size(begin) * 4, w.size() * 4); break;
    case DType::Q8_0:
      dequantize_q8_0(bytes.subspan(to_size(begin / kBlockSize) * kQ8_0BlockBytes, w.size() / kBlockSize * kQ8_0BlockBytes), w);
      break;
    case DType::Q4_0:
      dequantize_q4_0(bytes.subspan(to_size(begin / kBlockSize) * kQ4_0BlockBytes, w.size() / kBlockSize * kQ4_0BlockBytes), w);
      break;
  }
  const std::span<float> delta = d.first(w.size());
  for (const Touch& touch : s.touches[i]) {
    if (touch.step >= steps) break;
    delta_range(touch.kind, *touch.entry, touch.payload, begin, delta);
    for (std::size_t k = 0; k < w.size(); ++k) w[k] = w[k] + delta[k];  // every element: -0 + +0 = +0 (RT-ADP-001)
  }
}

// A37 (and the 32-bit address-space check) for step k, entry by entry in entry order, before any
// identity of M_{k+1} is computed: the first entry with a non-finite element of W' fails.
Status check_step(const Stack& s, std::size_t k, Buffers& buf) {
  const Adapter& adapter = s.adapters[k];
  for (std::size_t j = 0; j < adapter.entries.size(); ++j) {
    const AdapterEntry& entry = adapter.entries[j];
    const std::uint64_t n = entry.elements();
    // A 32-bit runtime may not hold n f32 values although the (quantized) target fits (SLM-LIM-007).
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(float)) {
      return make_error(ErrorCode::E_LIMIT_ADDRESS_SPACE, entry.offset, "'" + entry.name + "' does not fit as f32");
    }
    for (std::uint64_t begin = 0; begin < n; begin += kDescendantChunkElements) {
      const std::span<float> w(buf.w.data(), to_size(std::min(kDescendantChunkElements, n - begin)));
      values_after(s, s.targets[k][j], k + 1, begin, w, buf.d);
      const auto bad = std::find_if(w.begin(), w.end(), [](float v) { return !is_finite(v); });
      if (fails(ErrorCode::E_ADP_APPLY_NONFINITE, bad != w.end())) {
        return make_error(ErrorCode::E_ADP_APPLY_NONFINITE, entry.offset,
                          "element " + std::to_string(begin + static_cast<std::uint64_t>(bad - w.begin())) + " of '" +
                              entry.name + "' becomes " + std::to_string(*bad));
      }
    }
  }
  return Status::success();
}

// The canonical layout of M_steps (format.md section 2) into `m`, which starts as a copy of the
// parent's header and directory: targets become f32, offsets follow; `directory` gets its bytes.
// parameter_count, tensor_count, flags, the tokenizer and data_offset never change along a stack.
void lay_out(const Stack& s, std::size_t steps, ModelInfo& m, std::vector<std::uint8_t>& directory) {
  directory.assign(m.tensors.size() * kDirectoryEntrySize, 0);
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < m.tensors.size(); ++i) {
    TensorEntry& t = m.tensors[i];
    const TensorEntry& p = s.parent->tensors[i];
    t.dtype = s.targeted(i, steps) ? DType::F32 : p.dtype;  // never re-quantized (RT-ADP-003)
    t.byte_size = s.targeted(i, steps) ? dtype_bytes(DType::F32, p.elements()) : p.byte_size;
    t.offset = align_up(end);
    end = t.offset + t.byte_size;  // <= 2^14 tensors of <= 2^42 bytes: no overflow
    encode_directory_entry(t, directory.data() + i * kDirectoryEntrySize);
  }
  m.header.data.length = align_up(end);
  m.header.file_length = m.header.data.offset + m.header.data.length;
  m.header.identity.layout_checksum = xxh64(directory);
}

// M's header: the parent's (a valid file's header is canonical) with M's derived fields, a zero
// checksum and `digest` (zero while M's digest is being computed: both are read as zero then).
std::array<std::uint8_t, kHeaderLength> header_of(const Stack& s, const Header& h, const Digest256& digest) {
  std::array<std::uint8_t, kHeaderLength> out{};
  std::copy_n(s.file.begin(), kHeaderLength, out.begin());
  store_u64(out.data() + hdr::kFileLength, h.file_length);
  store_u64(out.data() + hdr::kChecksum, 0);
  std::copy(digest.begin(), digest.end(), out.begin() + hdr::kDigest);
  store_u64(out.data() + hdr::kLayoutChecksum, h.identity.layout_checksum);
  store_u64(out.data() + hdr::kDataLength, h.data.length);
  return out;
}

// M_steps's bytes in file order, handed to `emit` (Status(std::span<const std::uint8_t>)) in pieces:
// spans of the parent's bytes where M has them, recomputed chunks of the targets, zero padding.
template <class Emit>
Status stream_model(const Stack& s, const ModelInfo& m, std::size_t steps, std::span<const std::uint8_t> header,
                    std::span<const std::uint8_t> directory, Buffers& buf, Emit&& emit) {
  const auto pad = [&](std::uint64_t n) {
    for (; n > 0; n -= std::min<std::uint64_t>(n, kZeros.size())) {  // one piece in a canonical layout
      if (auto st = emit(std::span<const std::uint8_t>(kZeros.data(), to_size(std::min<std::uint64_t>(n, kZeros.size())))); !st.ok()) return st;
    }
    return Status::success();
  };
  const Header& h = m.header;
  const std::uint64_t tokenizer_end = h.tokenizer.offset + h.tokenizer.length;
  if (auto st = emit(header); !st.ok()) return st;
  if (auto st = emit(s.file.subspan(to_size(h.tokenizer.offset), to_size(h.tokenizer.length))); !st.ok()) return st;
  if (auto st = pad(h.directory.offset - tokenizer_end); !st.ok()) return st;
  if (auto st = emit(directory); !st.ok()) return st;
  std::uint64_t at = 0;  // relative to the data section
  for (std::size_t i = 0; i < m.tensors.size(); ++i) {
    const TensorEntry& t = m.tensors[i];
    if (auto st = pad(t.offset - at); !st.ok()) return st;
    if (!s.targeted(i, steps)) {
      if (auto st = emit(s.parent_tensor(i)); !st.ok()) return st;
    } else {
      const std::uint64_t n = t.elements();
      for (std::uint64_t begin = 0; begin < n; begin += kDescendantChunkElements) {
        const std::span<float> w(buf.w.data(), to_size(std::min(kDescendantChunkElements, n - begin)));
        values_after(s, i, steps, begin, w, buf.d);
        // f32 is stored as is, little-endian (the host is, bytes.h): the chunk's bytes are the encoding.
        if (auto st = emit(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(w.data()), w.size() * 4)); !st.ok()) {
          return st;
        }
      }
    }
    at = t.offset + t.byte_size;
  }
  return pad(h.data.length - at);
}

// The content digest of M_steps (format.md 7.2): SHA-256 with [24, 64) read as zero.
Digest256 digest_of(const Stack& s, const ModelInfo& m, std::size_t steps, std::span<const std::uint8_t> directory,
                    Buffers& buf) {
  const auto header = header_of(s, m.header, Digest256{});
  Sha256 sha;
  const Status st = stream_model(s, m, steps, header, directory, buf, [&](std::span<const std::uint8_t> bytes) {
    sha.update(bytes);
    return Status::success();
  });
  (void)st;  // hashing never fails
  return sha.finish();
}

// A cheap guard that `parent` describes `file` (not a re-validation: the caller validated it), so
// that no span below leaves the parent's bytes.
Status check_parent_bytes(std::span<const std::uint8_t> file, const ModelInfo& parent) {
  const Header& h = parent.header;
  if (file.size() < h.file_length) return make_error(ErrorCode::E_FILE_TRUNCATED, file.size(), "the parent bytes are not its ModelInfo's");
  if (file.size() > h.file_length) return make_error(ErrorCode::E_FILE_TRAILING, h.file_length, "the parent bytes are not its ModelInfo's");
  if (h.file_length < kHeaderLength || h.tokenizer.offset + h.tokenizer.length > h.directory.offset ||
      h.directory.offset + parent.tensors.size() * kDirectoryEntrySize != h.data.offset || h.data.offset + h.data.length != h.file_length) {
    return make_error(ErrorCode::E_SECTION_RANGE, hdr::kTokenizerOffset, "the parent's ModelInfo is not a validated model's");
  }
  for (std::size_t i = 0; i < parent.tensors.size(); ++i) {
    const TensorEntry& t = parent.tensors[i];
    if (t.offset > h.data.length || t.byte_size > h.data.length - t.offset) {
      return make_error(ErrorCode::E_TENSOR_RANGE, h.directory.offset + i * kDirectoryEntrySize + 104,
                        "the parent's ModelInfo is not a validated model's");
    }
  }
  return Status::success();
}

}  // namespace

void materialize_delta_range(AdapterKind kind, const AdapterEntry& entry, std::uint64_t begin, std::span<float> out) {
  delta_range(kind, entry, DecodedPayload{entry}, begin, out);
}

void materialize_delta_range(AdapterKind kind, const AdapterEntry& entry, std::span<const std::uint8_t> adapter_file,
                             std::uint64_t begin, std::span<float> out) {
  delta_range(kind, entry, file_payload(kind, entry, adapter_file), begin, out);
}

Result<StackOutcome> apply_stack(std::span<const std::uint8_t> parent_file, const ModelInfo& parent,
                                 std::span<const std::span<const std::uint8_t>> adapters, ByteSink* sink,
                                 std::size_t* failed_adapter) {
  if (failed_adapter) *failed_adapter = kNoAdapter;
  if (auto st = check_parent_bytes(parent_file, parent); !st.ok()) return st;
  const auto fail = [&](std::size_t k, Status status) {
    if (failed_adapter) *failed_adapter = k;
    return status;
  };

  Stack s;
  s.file = parent_file;
  s.parent = &parent;
  s.adapters.reserve(adapters.size());
  s.touches.resize(parent.tensors.size());
  // Directory position by name; names and order stay the same along a stack.
  std::vector<std::pair<std::string_view, std::size_t>> by_name;
  by_name.reserve(parent.tensors.size());
  for (std::size_t i = 0; i < parent.tensors.size(); ++i) by_name.emplace_back(parent.tensors[i].name, i);
  std::sort(by_name.begin(), by_name.end());

  // M_k as the next adapter's binding sees it: identity and directory. No tokenizer: the binding
  // (A29-A36) reads nothing else, and the parent's may be megabytes.
  ModelInfo current;
  current.header = parent.header;
  current.tensors = parent.tensors;
  std::vector<std::uint8_t> directory;  // [tensor_count * 128] of the model being laid out
  Buffers buf{std::vector<float>(to_size(kDescendantChunkElements)), std::vector<float>(to_size(kDescendantChunkElements))};

  StackOutcome out;
  out.lineage.parent_digest = parent.header.identity.content_digest;
  for (std::size_t k = 0; k < adapters.size(); ++k) {
    // A1-A36 against M_k, the model the previous steps made (RT-ADP-005); validate_adapter's checks
    // in its order, the payloads left in the adapter's bytes
    auto adapter = decode_adapter_without_payloads(adapters[k]);
    if (!adapter.ok()) return fail(k, adapter.status());
    if (auto st = check_adapter_binding(adapter.value(), current); !st.ok()) return fail(k, st);
    s.adapters.push_back(std::move(adapter.value()));
    const Adapter& a = s.adapters.back();
    std::vector<std::size_t>& targets = s.targets.emplace_back();
    for (const AdapterEntry& entry : a.entries) {
      const auto it = std::lower_bound(by_name.begin(), by_name.end(), std::string_view(entry.name),
                                       [](const auto& item, std::string_view name) { return item.first < name; });
      targets.push_back(it->second);  // present: A35 passed
      s.touches[it->second].push_back({k, a.kind, &entry, file_payload(a.kind, entry, adapters[k])});
    }
    // A37 for every entry before anything of M_{k+1} is computed (RT-ADP-006: all or nothing)
    if (auto st = check_step(s, k, buf); !st.ok()) return fail(k, st);
    // M_{k+1}: canonical layout, identity recomputed (RT-ADP-004)
    lay_out(s, k + 1, current, directory);
    if (current.header.file_length > limits::kMaxFileLength) {  // what validating M_{k+1} would report
      return fail(k, make_error(ErrorCode::E_LIMIT_FILE_SIZE, hdr::kFileLength, "the descendant would exceed the format's file size limit"));
    }
    current.header.identity.content_digest = digest_of(s, current, k + 1, directory, buf);
    out.lineage.steps.push_back({a.kind, a.digest, current.header.identity.content_digest});
  }
  out.identity = current.header.identity;
  out.file_length = current.header.file_length;
  for (std::size_t i = 0; i < s.touches.size(); ++i) {
    if (!s.touches[i].empty()) out.changed_tensors.push_back(i);
  }
  if (!sink) return out;

  // Every step passed: write M_K. The digest is known, the checksum (which covers it) is not yet.
  const std::size_t steps = adapters.size();
  lay_out(s, steps, current, directory);
  const auto header = header_of(s, current.header, out.identity.content_digest);
  const std::uint64_t base = sink->size();
  Xxh64 checksum(0);  // over the file with [24, 32) read as zero: as appended
  const Status st = stream_model(s, current, steps, header, directory, buf, [&](std::span<const std::uint8_t> bytes) {
    checksum.update(bytes);
    return bytes.empty() ? Status::success() : sink->append(bytes);
  });
  if (!st.ok()) return st;
  std::array<std::uint8_t, 8> stored{};
  store_u64(stored.data(), checksum.digest());
  if (auto patched = sink->patch(base + hdr::kChecksum, stored); !patched.ok()) return patched;
  return out;
}

namespace {
// The descendant apply_stack streamed into memory, loaded for use: its bytes are canonical and were
// just written, so loading re-validates them cheaply (no digest) and builds the views.
Result<LoadedDescendant> load_applied(std::vector<std::uint8_t> bytes, const Lineage& lineage) {
  auto loaded = load_model(std::move(bytes));
  if (!loaded.ok()) return loaded.status();
  return LoadedDescendant{loaded.value(), lineage};
}
}  // namespace

Result<LoadedDescendant> load_descendant(const std::string& parent, const std::vector<std::string>& adapter_paths,
                                         std::size_t* failed_adapter) {
  if (failed_adapter) *failed_adapter = kNoAdapter;
  if (adapter_paths.empty()) {
    auto loaded = load_model_file(parent);
    if (!loaded.ok()) return loaded.status();
    return LoadedDescendant{loaded.value(), std::nullopt};
  }
  ModelInfo info;
  auto bytes = read_fully_validated(parent, info);  // adapters bind to the parent's content digest
  if (!bytes.ok()) return bytes.status();
  std::vector<std::vector<std::uint8_t>> adapters;
  for (std::size_t k = 0; k < adapter_paths.size(); ++k) {
    auto adapter = read_adapter_file(adapter_paths[k]);
    if (!adapter.ok()) {
      if (failed_adapter) *failed_adapter = k;
      return adapter.status();
    }
    adapters.push_back(std::move(adapter.value()));
  }
  const std::vector<std::span<const std::uint8_t>> stack(adapters.begin(), adapters.end());
  VectorSink descendant;
  auto applied = apply_stack(bytes.value(), info, stack, &descendant, failed_adapter);
  if (!applied.ok()) return applied.status();
  bytes.value().clear();
  bytes.value().shrink_to_fit();  // the parent is no longer needed: keep one model in memory
  return load_applied(std::move(descendant.bytes()), applied->lineage);
}

Result<LoadedDescendant> descend(std::span<const std::uint8_t> parent_file, const ModelInfo& parent,
                                 std::span<const std::span<const std::uint8_t>> adapters, std::size_t* failed_adapter) {
  if (failed_adapter) *failed_adapter = kNoAdapter;
  VectorSink descendant;
  auto applied = apply_stack(parent_file, parent, adapters, &descendant, failed_adapter);
  if (!applied.ok()) return applied.status();
  return load_applied(std::move(descendant.bytes()), applied->lineage);
}

}  // namespace slm
