// XXH64 (xxHash, 64-bit variant), the integrity checksum of SLM1 files (spec/format.md, "Checksums").
// Streaming: feed any chunking, get the same digest as the one-shot call.
#pragma once
#include <cstdint>
#include <span>

namespace slm {

class Xxh64 {
public:
  explicit Xxh64(std::uint64_t seed = 0);
  void update(std::span<const std::uint8_t> bytes);
  std::uint64_t digest() const;

private:
  std::uint64_t seed_;
  std::uint64_t lanes_[4];
  std::uint8_t buffer_[32];
  std::uint32_t buffered_ = 0;
  std::uint64_t total_length_ = 0;
};

std::uint64_t xxh64(std::span<const std::uint8_t> bytes, std::uint64_t seed = 0);

}  // namespace slm
