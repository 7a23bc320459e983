// SHA-256, written from FIPS 180-4 (sections 4.1.2, 4.2.2, 5.1.1, 5.3.3, 6.2).
#include "slm/sha256.h"

#include <bit>
#include <cstddef>
#include <cstring>

#ifdef SLM_HAVE_LIBCRYPTO
#include <openssl/evp.h>
#endif

namespace slm {
namespace {

constexpr std::size_t kBlock = 64;

// First 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 4.2.2).
constexpr std::uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

PortableSha256::PortableSha256()
    : state_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19},
      buffer_{} {}

void PortableSha256::compress(const std::uint8_t* block) {
  std::uint32_t w[64];
  for (std::size_t t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
  for (std::size_t t = 16; t < 64; ++t) {
    const std::uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const std::uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }

  std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  std::uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
  for (std::size_t t = 0; t < 64; ++t) {
    const std::uint32_t sigma1 = std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
    const std::uint32_t choose = (e & f) ^ (~e & g);
    const std::uint32_t t1 = h + sigma1 + choose + kRound[t] + w[t];
    const std::uint32_t sigma0 = std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22);
    const std::uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
    const std::uint32_t t2 = sigma0 + majority;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
  state_[4] += e;
  state_[5] += f;
  state_[6] += g;
  state_[7] += h;
}

void PortableSha256::update(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;  // data() may be null; memcpy from null is undefined even for 0 bytes
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  total_length_ += left;

  if (buffered_ > 0) {
    const std::size_t take = left < kBlock - buffered_ ? left : kBlock - buffered_;
    std::memcpy(buffer_ + buffered_, p, take);
    buffered_ += static_cast<std::uint32_t>(take);
    p += take;
    left -= take;
    if (buffered_ < kBlock) return;
    compress(buffer_);
    buffered_ = 0;
  }
  for (; left >= kBlock; left -= kBlock, p += kBlock) compress(p);
  std::memcpy(buffer_, p, left);
  buffered_ = static_cast<std::uint32_t>(left);
}

Digest256 PortableSha256::finish() {
  // Padding (5.1.1): a single 1 bit, zeros up to 56 mod 64 bytes, then the bit length big-endian.
  const std::uint64_t bit_length = total_length_ * 8;
  buffer_[buffered_++] = 0x80;
  if (buffered_ > kBlock - 8) {
    std::memset(buffer_ + buffered_, 0, kBlock - buffered_);
    compress(buffer_);
    buffered_ = 0;
  }
  std::memset(buffer_ + buffered_, 0, kBlock - 8 - buffered_);
  store_be32(buffer_ + 56, static_cast<std::uint32_t>(bit_length >> 32));
  store_be32(buffer_ + 60, static_cast<std::uint32_t>(bit_length));
  compress(buffer_);
  buffered_ = 0;

  Digest256 out;
  for (std::size_t i = 0; i < 8; ++i) store_be32(out.data() + 4 * i, state_[i]);
  return out;
}

#ifdef SLM_HAVE_LIBCRYPTO
// EVP_sha256 through one EVP_MD_CTX; a context that cannot be made falls back to the portable code
// (which gives the same digest), so an allocation failure inside OpenSSL is never an error here.
Sha256::Sha256() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1) {
    native_ = ctx;
  } else {
    EVP_MD_CTX_free(ctx);
  }
}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(native_)); }
void Sha256::update(std::span<const std::uint8_t> bytes) {
  if (!native_) return portable_.update(bytes);
  if (!bytes.empty()) EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(native_), bytes.data(), bytes.size());
}
Digest256 Sha256::finish() {
  if (!native_) return portable_.finish();
  Digest256 out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(native_), out.data(), &n);
  return out;
}
bool Sha256::uses_libcrypto() { return true; }
#else
Sha256::Sha256() = default;
Sha256::~Sha256() = default;
void Sha256::update(std::span<const std::uint8_t> bytes) { portable_.update(bytes); }
Digest256 Sha256::finish() { return portable_.finish(); }
bool Sha256::uses_libcrypto() { return false; }
#endif

Digest256 sha256(std::span<const std::uint8_t> bytes) {
  Sha256 state;
  state.update(bytes);
  return state.finish();
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0F];
  }
  return out;
}

std::string to_hex_u64(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = kDigits[value & 0x0F];
  return out;
}

}  // namespace slm
