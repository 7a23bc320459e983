// Random-access byte sources: the validator reads through this interface, so the same code
// validates a span in memory (WASM, tests) and a file of any size (streaming, O(directory) memory).
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "slm/errors.h"

namespace slm {

class ByteSource {
public:
  virtual ~ByteSource() = default;
  virtual std::uint64_t size() const = 0;
  // Fills `out` with bytes [offset, offset + out.size()); the caller keeps the range within size().
  virtual Status read(std::uint64_t offset, std::span<std::uint8_t> out) = 0;
};

class SpanSource final : public ByteSource {
public:
  explicit SpanSource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  Status read(std::uint64_t offset, std::span<std::uint8_t> out) override;

private:
  std::span<const std::uint8_t> bytes_;
};

// A file opened read-only; size() is taken once at open.
class FileSource final : public ByteSource {
public:
  static Result<std::unique_ptr<FileSource>> open(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  std::uint64_t size() const override { return size_; }
  Status read(std::uint64_t offset, std::span<std::uint8_t> out) override;

private:
  FileSource(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  std::uint64_t size_;
};

}  // namespace slm
