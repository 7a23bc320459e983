#include "slm/checksum.h"

#include <algorithm>
#include <array>

#include "slm/bytes.h"
#include "slm/format.h"

namespace slm {
namespace {
constexpr std::uint64_t kChecksumBegin = hdr::kChecksum, kChecksumEnd = hdr::kChecksum + 8;
constexpr std::uint64_t kDigestEnd = hdr::kDigest + 32;

// Zeroes the file bytes [begin, end) inside buf, which holds `n` bytes starting at file offset `at`.
void zero_file_range(std::uint8_t* buf, std::uint64_t at, std::size_t n, std::uint64_t begin, std::uint64_t end) {
  for (std::size_t i = 0; i < n; ++i) {
    if (at + i >= begin && at + i < end) buf[i] = 0;
  }
}
}  // namespace

void FileHasher::update(std::uint64_t offset, std::span<const std::uint8_t> chunk) {
  if (offset >= kDigestEnd) {  // the common case: no self-describing field in this chunk
    xxh_.update(chunk);
    if (with_digest_) sha_.update(chunk);
    return;
  }
  // Bytes before offset 64 go through a small copy with the fields zeroed.
  const std::size_t head = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), kDigestEnd - offset));
  std::array<std::uint8_t, kDigestEnd> copy{};
  std::copy_n(chunk.begin(), head, copy.begin());
  zero_file_range(copy.data(), offset, head, kChecksumBegin, kChecksumEnd);
  xxh_.update({copy.data(), head});
  if (with_digest_) {
    zero_file_range(copy.data(), offset, head, kChecksumBegin, kDigestEnd);
    sha_.update({copy.data(), head});
  }
  const auto rest = chunk.subspan(head);
  xxh_.update(rest);
  if (with_digest_) sha_.update(rest);
}

std::uint64_t file_checksum(std::span<const std::uint8_t> file) {
  FileHasher hasher(false);
  hasher.update(0, file);
  return hasher.checksum();
}

Digest256 content_digest(std::span<const std::uint8_t> file) {
  FileHasher hasher(true);
  hasher.update(0, file);
  return hasher.digest();
}

void reseal(std::vector<std::uint8_t>& file) {
  if (file.size() < kDigestEnd) return;
  const Digest256 digest = content_digest(file);
  std::copy(digest.begin(), digest.end(), file.begin() + hdr::kDigest);
  store_u64(file.data() + hdr::kChecksum, file_checksum(file));
}

void reseal_identity(std::vector<std::uint8_t>& file) {
  if (file.size() < kHeaderLength) return;
  const std::size_t fields[2][3] = {{hdr::kTokenizerOffset, hdr::kTokenizerLength, hdr::kTokenizerChecksum},
                                    {hdr::kDirectoryOffset, hdr::kDirectoryLength, hdr::kLayoutChecksum}};
  for (const auto& f : fields) {
    const std::uint64_t at = load_u64(file.data() + f[0]), length = load_u64(file.data() + f[1]);
    if (at <= file.size() && length <= file.size() - at) {
      store_u64(file.data() + f[2], xxh64(std::span<const std::uint8_t>(file).subspan(static_cast<std::size_t>(at),
                                                                                      static_cast<std::size_t>(length))));
    }
  }
}

}  // namespace slm
