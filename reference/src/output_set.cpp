#include "slm/output_set.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

namespace slm {
namespace {

std::string reason() { return std::strerror(errno); }

// Where a path's directory entry lives: its directory (".": the working directory) and its name.
// The name is empty when the path cannot name a file ("dir/", ".", "..").
std::pair<std::string, std::string> split(const std::string& path) {
  const std::filesystem::path p(path);
  std::string name = p.filename().string();
  if (name == "." || name == "..") name.clear();
  std::string dir = p.parent_path().string();
  if (dir.empty()) dir = p.is_absolute() ? "/" : ".";
  return {dir, name};
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

bool stat_id(const std::string& path, FileId& id, struct stat* out = nullptr) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  id = {st.st_dev, st.st_ino};
  if (out) *out = st;
  return true;
}

Status refuse(ErrorCode code, const std::string& message) { return make_error(code, kNoOffset, message); }

mode_t file_mode(const OutputOptions& options) {
  if (options.private_file) return 0600;
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return static_cast<mode_t>(0666 & ~mask);
}

}  // namespace

// One output: the declaration, then its staging file (an unnamed O_TMPFILE inode in the target's
// directory where the file system has them, else a hidden temporary name there).
struct OutputSet::Staged final : ByteSink {
  std::string path, dir, name;
  OutputOptions options;
  FileId dir_id;
  bool exists = false;
  FileId file_id;

  int fd = -1;
  bool anonymous = false;   // O_TMPFILE: nothing to clean up after a kill
  std::string temp_path;    // the named temporary (fallback, or the anonymous file linked at commit)
  std::string backup_path;  // the previous target, hard-linked while the renames run
  std::uint64_t written = 0;
  Status error;             // the first failed append or patch

  ~Staged() override {
    if (fd >= 0) ::close(fd);
    if (!temp_path.empty()) ::unlink(temp_path.c_str());
  }

  Status append(std::span<const std::uint8_t> bytes) override {
    if (!error.ok()) return error;
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = make_error(ErrorCode::E_IO_WRITE, written + done, path + ": " + (n < 0 ? reason() : "short write"));
        return error;
      }
      done += static_cast<std::size_t>(n);
    }
    written += done;
    return Status::success();
  }

  Status patch(std::uint64_t offset, std::span<const std::uint8_t> bytes) override {
    if (!error.ok()) return error;
    if (offset > written || bytes.size() > written - offset) {
      error = make_error(ErrorCode::E_IO_WRITE, offset, path + ": patch beyond the bytes written");
      return error;
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = make_error(ErrorCode::E_IO_WRITE, offset + done, path + ": " + (n < 0 ? reason() : "short write"));
        return error;
      }
      done += static_cast<std::size_t>(n);
    }
    return Status::success();
  }

  std::uint64_t size() const override { return written; }

  Status open_staging() {
    const mode_t mode = file_mode(options);
#if defined(O_TMPFILE) && !defined(__EMSCRIPTEN__)
    if (::access("/proc/self/fd", X_OK) == 0) {
      fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
      if (fd >= 0) {
        anonymous = true;
        if (::fchmod(fd, mode) != 0) return make_error(ErrorCode::E_IO_WRITE, kNoOffset, path + ": " + reason());
        return Status::success();
      }
      if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT) {
        return make_error(ErrorCode::E_IO_WRITE, kNoOffset, path + ": cannot create a file in " + dir + ": " + reason());
      }
    }
#endif
    std::string temp = (std::filesystem::path(dir) / ("." + name + ".slm-XXXXXX")).string();
    fd = ::mkstemp(temp.data());
    if (fd < 0) return make_error(ErrorCode::E_IO_WRITE, kNoOffset, path + ": cannot create a file in " + dir + ": " + reason());
    temp_path = temp;
    if (::fchmod(fd, mode) != 0) return make_error(ErrorCode::E_IO_WRITE, kNoOffset, path + ": " + reason());
    return Status::success();
  }

  // Gives the staged file a (hidden) name in its directory, so that rename() can move it into place.
  Status name_staging() {
    if (!anonymous) return Status::success();
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    for (unsigned attempt = 0; attempt < 1000; ++attempt) {
      std::string candidate = (std::filesystem::path(dir) / ("." + name + ".slm-" + std::to_string(::getpid()) + "-" +
                                                             std::to_string(attempt)))
                                  .string();
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, candidate.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        temp_path = std::move(candidate);
        return Status::success();
      }
      if (errno != EEXIST) break;
    }
    return make_error(ErrorCode::E_IO_WRITE, kNoOffset, path + ": cannot name the staged file: " + reason());
  }
};

OutputSet::OutputSet() = default;

OutputSet::~OutputSet() = default;  // each Staged closes and unlinks its own temporary

void OutputSet::input(const std::string& path) {
  if (!path.empty()) inputs_.push_back(path);
}

OutputSet::Id OutputSet::output(const std::string& path, OutputOptions options) {
  auto staged = std::make_unique<Staged>();
  staged->path = path;
  staged->options = options;
  std::tie(staged->dir, staged->name) = split(path);
  outputs_.push_back(std::move(staged));
  return outputs_.size() - 1;
}

const std::string& OutputSet::path(Id id) const { return outputs_.at(id)->path; }

Status OutputSet::prepare() {
  // Inputs by device and inode, after following links: a symlink or a hard link to an input is it.
  std::vector<std::pair<FileId, std::string>> input_ids;
  for (const auto& in : inputs_) {
    FileId id;
    if (stat_id(in, id)) input_ids.emplace_back(id, in);
  }
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    Staged& o = *outputs_[i];
    if (o.path.empty()) return refuse(ErrorCode::E_ARG_VALUE, "an output path is empty");
    // SLM-TOOL-003: the directory must exist (a tool never creates it for a single-file output)
    struct stat dir_st {};
    if (::stat(o.dir.c_str(), &dir_st) != 0 || !S_ISDIR(dir_st.st_mode)) {
      return refuse(ErrorCode::E_OUT_NO_DIRECTORY, o.path + ": the directory " + o.dir + " does not exist");
    }
    o.dir_id = {dir_st.st_dev, dir_st.st_ino};
    // SLM-TOOL-004: an existing target must be a regular file (never a directory, FIFO or device)
    struct stat st {};
    o.exists = stat_id(o.path, o.file_id, &st);
    if (o.name.empty() || (o.exists && !S_ISREG(st.st_mode))) {
      return refuse(ErrorCode::E_OUT_NOT_REGULAR, o.path + ": exists and is not a regular file");
    }
    struct stat link_st {};
    if (o.options.must_be_new && (o.exists || ::lstat(o.path.c_str(), &link_st) == 0)) {
      return refuse(ErrorCode::E_OUT_EXISTS, o.path + ": exists already (never overwritten)");
    }
    // SLM-TOOL-001: never an input
    for (const auto& [id, in] : input_ids) {
      if (o.exists && id == o.file_id) {
        return refuse(ErrorCode::E_OUT_IS_INPUT, o.path + ": is the input " + in + " (the same file)");
      }
    }
    // SLM-TOOL-002: never another output (the same file, or the same name in the same directory)
    for (std::size_t j = 0; j < i; ++j) {
      const Staged& p = *outputs_[j];
      if ((o.exists && p.exists && o.file_id == p.file_id) || (o.dir_id == p.dir_id && o.name == p.name)) {
        return refuse(ErrorCode::E_OUT_CLASH, o.path + ": is also the output " + p.path);
      }
    }
  }
  for (auto& o : outputs_) {
    if (auto s = o->open_staging(); !s.ok()) return s;
  }
  prepared_ = true;
  return Status::success();
}

ByteSink& OutputSet::sink(Id id) { return *outputs_.at(id); }

Status OutputSet::write(Id id, std::span<const std::uint8_t> bytes) { return sink(id).append(bytes); }

Status OutputSet::write(Id id, const std::string& text) {
  return write(id, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

Status OutputSet::commit() {
  if (!prepared_ || committed_) return make_error(ErrorCode::E_IO_WRITE, kNoOffset, "outputs were not prepared");
  for (auto& o : outputs_) {
    if (!o->error.ok()) return o->error;
    if (::fsync(o->fd) != 0) return make_error(ErrorCode::E_IO_WRITE, kNoOffset, o->path + ": " + reason());
  }
  // A failure from here on removes every named staging file at once, not at destruction.
  const auto discard = [&](Status status) {
    for (auto& o : outputs_) {
      if (!o->temp_path.empty()) ::unlink(o->temp_path.c_str());
      o->temp_path.clear();
    }
    return status;
  };
  for (auto& o : outputs_) {
    if (auto s = o->name_staging(); !s.ok()) return discard(s);
  }
  // Keep the previous content of each existing target reachable until every rename succeeded.
  for (auto& o : outputs_) {
    if (!o->exists) continue;
    for (unsigned attempt = 0; attempt < 1000 && o->backup_path.empty(); ++attempt) {
      std::string candidate =
          (std::filesystem::path(o->dir) / ("." + o->name + ".slm-old-" + std::to_string(::getpid()) + "-" + std::to_string(attempt)))
              .string();
      if (::link(o->path.c_str(), candidate.c_str()) == 0) o->backup_path = std::move(candidate);
      else if (errno != EEXIST) break;  // no backup possible here: the rename below is still atomic per file
    }
  }
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    Staged& o = *outputs_[k];
    if (std::rename(o.temp_path.c_str(), o.path.c_str()) == 0) {
      o.temp_path.clear();
      continue;
    }
    const Status failed = make_error(ErrorCode::E_IO_WRITE, kNoOffset, o.path + ": " + reason());
    for (std::size_t j = 0; j < k; ++j) {  // put back what was already replaced
      Staged& done = *outputs_[j];
      if (!done.backup_path.empty()) {
        if (std::rename(done.backup_path.c_str(), done.path.c_str()) == 0) done.backup_path.clear();
      } else {
        ::unlink(done.path.c_str());
      }
    }
    for (auto& b : outputs_) {
      if (!b->backup_path.empty()) ::unlink(b->backup_path.c_str());
      b->backup_path.clear();
    }
    return discard(failed);
  }
  committed_ = true;
  for (auto& o : outputs_) {
    if (!o->backup_path.empty()) ::unlink(o->backup_path.c_str());
    ::close(o->fd);
    o->fd = -1;
  }
  // The renames themselves reach the disk with their directories.
  for (auto& o : outputs_) {
    const int dfd = ::open(o->dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)::fsync(dfd);
      ::close(dfd);
    }
  }
  return Status::success();
}

Status write_file_atomically(const std::string& path, std::span<const std::uint8_t> bytes) {
  OutputSet out;
  const auto id = out.output(path);
  if (auto s = out.prepare(); !s.ok()) return s;
  if (auto s = out.write(id, bytes); !s.ok()) return s;
  return out.commit();
}

Status write_text_atomically(const std::string& path, const std::string& text) {
  return write_file_atomically(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

}  // namespace slm
