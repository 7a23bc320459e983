#include "slm/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace slm {

Result<std::span<const std::uint8_t>> ByteSource::view(std::uint64_t offset, std::size_t n, std::vector<std::uint8_t>& storage) {
  const std::span<const std::uint8_t> all = memory();
  if (!all.empty() && offset <= all.size() && n <= all.size() - offset) return all.subspan(static_cast<std::size_t>(offset), n);
  storage.resize(n);
  if (auto s = read(offset, storage); !s.ok()) return s;
  return std::span<const std::uint8_t>(storage);
}

Status SpanSource::read(std::uint64_t offset, std::span<std::uint8_t> out) {
  if (offset > bytes_.size() || out.size() > bytes_.size() - offset) {
    return make_error(ErrorCode::E_IO_READ, offset, "read past the end of the input");
  }
  if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());  // memcpy(nullptr, ..., 0) is UB
  return Status::success();
}

Result<std::unique_ptr<FileSource>> FileSource::open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below like any non-file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return make_error(ErrorCode::E_IO_READ, kNoOffset, path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::E_IO_READ, kNoOffset, path + ": not a regular file");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // a regular file: blocking reads as usual
  return std::unique_ptr<FileSource>(new FileSource(fd, static_cast<std::uint64_t>(st.st_size)));
}

FileSource::~FileSource() { ::close(fd_); }

Status FileSource::read(std::uint64_t offset, std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(ErrorCode::E_IO_READ, offset + done, n == 0 ? "file shrank while reading" : std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return Status::success();
}

}  // namespace slm
