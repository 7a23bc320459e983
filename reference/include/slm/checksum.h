// The two file-level hashes (spec/format.md section 7.2):
//   checksum       = XXH64(seed 0) of the whole file with bytes [24, 32) read as zero
//   content digest = SHA-256 of the whole file with bytes [24, 64) read as zero
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "slm/sha256.h"
#include "slm/xxh64.h"

namespace slm {

std::uint64_t file_checksum(std::span<const std::uint8_t> file);
Digest256 content_digest(std::span<const std::uint8_t> file);
// Recomputes and stores the digest, then the checksum, in a file of at least 64 bytes (else no-op).
void reseal(std::vector<std::uint8_t>& file);
// Recomputes tokenizer_checksum and layout_checksum from the bytes the section table points at,
// where it points inside the file (else leaves them). Call before reseal(). For generators and
// fuzzers that edit a file and want it to fail only the check they target.
void reseal_identity(std::vector<std::uint8_t>& file);

// Hashes a file chunk by chunk, in order, reading the self-describing fields as zero.
class FileHasher {
public:
  explicit FileHasher(bool with_digest) : with_digest_(with_digest) {}
  void update(std::uint64_t offset, std::span<const std::uint8_t> chunk);
  std::uint64_t checksum() const { return xxh_.digest(); }
  Digest256 digest() { return sha_.finish(); }

private:
  bool with_digest_;
  Xxh64 xxh_{0};
  Sha256 sha_;
};

}  // namespace slm
