// SHA-256 (FIPS 180-4), the content digest of SLM1 files and of release-packet artifacts.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace slm {

using Digest256 = std::array<std::uint8_t, 32>;

// The portable implementation, written from FIPS 180-4: what wasm32 runs, and the oracle the native
// build's libcrypto path is cross-checked against (Sha256.MatchesPortableOnRandomLengths).
class PortableSha256 {
public:
  PortableSha256();
  void update(std::span<const std::uint8_t> bytes);
  Digest256 finish();  // the object must not be updated after finish()

private:
  void compress(const std::uint8_t* block);
  std::uint32_t state_[8];
  std::uint8_t buffer_[64];
  std::uint32_t buffered_ = 0;
  std::uint64_t total_length_ = 0;
};

// SHA-256 at the hardware's speed: OpenSSL's libcrypto (SHA extensions) where the build has it
// (native builds, SLM_HAVE_LIBCRYPTO), else PortableSha256. The same digests either way.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const std::uint8_t> bytes);
  Digest256 finish();  // the object must not be updated after finish()
  static bool uses_libcrypto();

private:
  PortableSha256 portable_;
  [[maybe_unused]] void* native_ = nullptr;  // an EVP_MD_CTX when built with libcrypto
};

Digest256 sha256(std::span<const std::uint8_t> bytes);
std::string to_hex(std::span<const std::uint8_t> bytes);  // lowercase, two digits per byte
std::string to_hex_u64(std::uint64_t value);                // 16 lowercase digits, most significant first

}  // namespace slm
