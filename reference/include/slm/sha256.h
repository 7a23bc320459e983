// SHA-256 (FIPS 180-4), the content digest of SLM1 files and of release-packet artifacts.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace slm {

using Digest256 = std::array<std::uint8_t, 32>;

class Sha256 {
public:
  Sha256();
  void update(std::span<const std::uint8_t> bytes);
  Digest256 finish();  // the object must not be updated after finish()

private:
  void compress(const std::uint8_t* block);
  std::uint32_t state_[8];
  std::uint8_t buffer_[64];
  std::uint32_t buffered_ = 0;
  std::uint64_t total_length_ = 0;
};

Digest256 sha256(std::span<const std::uint8_t> bytes);
std::string to_hex(std::span<const std::uint8_t> bytes);  // lowercase, two digits per byte
std::string to_hex_u64(std::uint64_t value);                // 16 lowercase digits, most significant first

}  // namespace slm
