// Random-access byte sources: the validator reads through this interface, so the same code
// validates a span in memory (WASM, tests) and a file of any size (streaming, O(directory) memory).
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "slm/errors.h"

namespace slm {

class ByteSource {
public:
  virtual ~ByteSource() = default;
  virtual std::uint64_t size() const = 0;
  // Fills `out` with bytes [offset, offset + out.size()); the caller keeps the range within size().
  virtual Status read(std::uint64_t offset, std::span<std::uint8_t> out) = 0;
  // The whole input when the source already holds it in memory (empty otherwise).
  virtual std::span<const std::uint8_t> memory() const { return {}; }

  // Bytes [offset, offset + n) to read: a view of memory() when there is one (no copy: a model
  // in wasm memory is not held twice while it is validated), else read() into `storage`. Range
  // errors are read()'s either way.
  [[nodiscard]] Result<std::span<const std::uint8_t>> view(std::uint64_t offset, std::size_t n, std::vector<std::uint8_t>& storage);
};

class SpanSource final : public ByteSource {
public:
  explicit SpanSource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  Status read(std::uint64_t offset, std::span<std::uint8_t> out) override;
  std::span<const std::uint8_t> memory() const override { return bytes_; }

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
