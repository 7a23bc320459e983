// XXH64, written from the xxHash specification (doc/xxhash_spec.md in Cyan4973/xxHash).
#include "slm/xxh64.h"

#include <bit>
#include <cstddef>
#include <cstring>

namespace slm {
namespace {

constexpr std::uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;
constexpr std::size_t kStripe = 32;

// XXH64 reads little-endian words; memcpy keeps unaligned loads defined and compiles to one mov.
inline std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) {
    v = ((v & 0x00000000FFFFFFFFULL) << 32) | (v >> 32);
    v = ((v & 0x0000FFFF0000FFFFULL) << 16) | ((v >> 16) & 0x0000FFFF0000FFFFULL);
    v = ((v & 0x00FF00FF00FF00FFULL) << 8) | ((v >> 8) & 0x00FF00FF00FF00FFULL);
  }
  return v;
}

inline std::uint32_t load_le32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) {
    v = (v << 16) | (v >> 16);
    v = ((v & 0x00FF00FFU) << 8) | ((v >> 8) & 0x00FF00FFU);
  }
  return v;
}

inline std::uint64_t round(std::uint64_t acc, std::uint64_t lane) {
  acc += lane * kPrime2;
  acc = std::rotl(acc, 31);
  return acc * kPrime1;
}

inline std::uint64_t merge_round(std::uint64_t acc, std::uint64_t lane) {
  acc ^= round(0, lane);
  return acc * kPrime1 + kPrime4;
}

// Consumes `count` whole stripes. The lanes live in locals so the loop keeps them in registers.
const std::uint8_t* consume_stripes(std::uint64_t lanes[4], const std::uint8_t* p, std::size_t count) {
  std::uint64_t v1 = lanes[0], v2 = lanes[1], v3 = lanes[2], v4 = lanes[3];
  for (const std::uint8_t* const end = p + count * kStripe; p != end; p += kStripe) {
    v1 = round(v1, load_le64(p));
    v2 = round(v2, load_le64(p + 8));
    v3 = round(v3, load_le64(p + 16));
    v4 = round(v4, load_le64(p + 24));
  }
  lanes[0] = v1;
  lanes[1] = v2;
  lanes[2] = v3;
  lanes[3] = v4;
  return p;
}

// Folds in the fewer-than-32 trailing bytes, then avalanches.
std::uint64_t finalize(std::uint64_t h, const std::uint8_t* p, std::size_t len) {
  for (; len >= 8; len -= 8, p += 8) {
    h ^= round(0, load_le64(p));
    h = std::rotl(h, 27) * kPrime1 + kPrime4;
  }
  if (len >= 4) {
    h ^= std::uint64_t{load_le32(p)} * kPrime1;
    h = std::rotl(h, 23) * kPrime2 + kPrime3;
    len -= 4;
    p += 4;
  }
  for (; len > 0; --len, ++p) {
    h ^= std::uint64_t{*p} * kPrime5;
    h = std::rotl(h, 11) * kPrime1;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

}  // namespace

Xxh64::Xxh64(std::uint64_t seed)
    : seed_(seed), lanes_{seed + kPrime1 + kPrime2, seed + kPrime2, seed, seed - kPrime1}, buffer_{} {}

void Xxh64::update(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;  // data() may be null; memcpy from null is undefined even for 0 bytes
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  total_length_ += left;

  if (buffered_ > 0) {
    const std::size_t take = left < kStripe - buffered_ ? left : kStripe - buffered_;
    std::memcpy(buffer_ + buffered_, p, take);
    buffered_ += static_cast<std::uint32_t>(take);
    p += take;
    left -= take;
    if (buffered_ < kStripe) return;
    consume_stripes(lanes_, buffer_, 1);
    buffered_ = 0;
  }

  const std::size_t stripes = left / kStripe;
  p = consume_stripes(lanes_, p, stripes);
  left -= stripes * kStripe;
  std::memcpy(buffer_, p, left);
  buffered_ = static_cast<std::uint32_t>(left);
}

std::uint64_t Xxh64::digest() const {
  std::uint64_t h;
  if (total_length_ >= kStripe) {
    h = std::rotl(lanes_[0], 1) + std::rotl(lanes_[1], 7) + std::rotl(lanes_[2], 12) + std::rotl(lanes_[3], 18);
    for (const std::uint64_t lane : lanes_) h = merge_round(h, lane);
  } else {
    h = seed_ + kPrime5;
  }
  h += total_length_;
  return finalize(h, buffer_, buffered_);
}

std::uint64_t xxh64(std::span<const std::uint8_t> bytes, std::uint64_t seed) {
  Xxh64 state(seed);
  state.update(bytes);
  return state.digest();
}

}  // namespace slm
