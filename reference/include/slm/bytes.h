// Little-endian field access and checked arithmetic: every size and offset in SLM is a u64 that
// the reader never trusts, so sums and products go through these helpers.
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace slm {

static_assert(std::endian::native == std::endian::little, "SLM reference assumes a little-endian host");

inline std::uint16_t load_u16(const std::uint8_t* p) { std::uint16_t v; std::memcpy(&v, p, 2); return v; }
inline std::uint32_t load_u32(const std::uint8_t* p) { std::uint32_t v; std::memcpy(&v, p, 4); return v; }
inline std::uint64_t load_u64(const std::uint8_t* p) { std::uint64_t v; std::memcpy(&v, p, 8); return v; }
inline float load_f32(const std::uint8_t* p) { float v; std::memcpy(&v, p, 4); return v; }

inline void store_u16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, 2); }
inline void store_u32(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, 4); }
inline void store_u64(std::uint8_t* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
inline void store_f32(std::uint8_t* p, float v) { std::memcpy(p, &v, 4); }

// Appending writer for building files in memory.
class ByteWriter {
public:
  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u16(std::uint16_t v) { append(&v, 2); }
  void u32(std::uint32_t v) { append(&v, 4); }
  void u64(std::uint64_t v) { append(&v, 8); }
  void f32(float v) { append(&v, 4); }
  void raw(std::span<const std::uint8_t> b) { bytes_.insert(bytes_.end(), b.begin(), b.end()); }
  void zeros(std::size_t n) { bytes_.insert(bytes_.end(), n, 0); }
  std::size_t size() const { return bytes_.size(); }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

private:
  void append(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  std::vector<std::uint8_t> bytes_;
};

// Checked u64 arithmetic: false on overflow, out untouched.
inline bool checked_add(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return !__builtin_add_overflow(a, b, &out);
}
inline bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return !__builtin_mul_overflow(a, b, &out);
}
// Rounds up to a multiple of `alignment` (a power of two); false on overflow.
inline bool checked_align_up(std::uint64_t value, std::uint64_t alignment, std::uint64_t& out) {
  std::uint64_t bumped;
  if (!checked_add(value, alignment - 1, bumped)) return false;
  out = bumped & ~(alignment - 1);
  return true;
}

}  // namespace slm
