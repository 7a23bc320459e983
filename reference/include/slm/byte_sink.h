// Where a writer streams a file it produces: bytes appended in order, then a few already-written
// bytes patched (a header's checksum and digest are known only at the end). The CLI's staged output
// files and an in-memory vector both implement it, so one streaming writer serves both.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "slm/errors.h"

namespace slm {

class ByteSink {
public:
  virtual ~ByteSink() = default;
  // Appends `bytes` at the current end; E_IO_WRITE if they cannot all be written.
  [[nodiscard]] virtual Status append(std::span<const std::uint8_t> bytes) = 0;
  // Overwrites bytes [offset, offset + bytes.size()), which must all have been appended before.
  [[nodiscard]] virtual Status patch(std::uint64_t offset, std::span<const std::uint8_t> bytes) = 0;
  // Bytes appended so far.
  [[nodiscard]] virtual std::uint64_t size() const = 0;
};

// A sink that keeps the bytes in memory (tests, wasm, small outputs).
class VectorSink final : public ByteSink {
public:
  [[nodiscard]] Status append(std::span<const std::uint8_t> bytes) override {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return Status::success();
  }
  [[nodiscard]] Status patch(std::uint64_t offset, std::span<const std::uint8_t> bytes) override {
    if (offset > out_.size() || bytes.size() > out_.size() - offset) {
      return make_error(ErrorCode::E_IO_WRITE, offset, "patch beyond the bytes written");
    }
    for (std::size_t i = 0; i < bytes.size(); ++i) out_[static_cast<std::size_t>(offset) + i] = bytes[i];
    return Status::success();
  }
  [[nodiscard]] std::uint64_t size() const override { return out_.size(); }
  std::vector<std::uint8_t>& bytes() { return out_; }

private:
  std::vector<std::uint8_t> out_;
};

}  // namespace slm
