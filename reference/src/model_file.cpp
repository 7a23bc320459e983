#include "slm/model_file.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace slm {

const TensorView* LoadedModel::find(std::string_view name) const {
  for (const auto& v : views_) {
    if (v.entry->name == name) return &v;
  }
  return nullptr;
}

Result<std::shared_ptr<LoadedModel>> load_owned(std::shared_ptr<const void> owner, std::span<const std::uint8_t> bytes,
                                                const LoadOptions& options) {
  auto info = validate_model(bytes, options.validate);
  if (!info.ok()) return info.status();
  auto model = std::make_shared<LoadedModel>();
  model->info_ = std::move(info.value());
  model->owner_ = std::move(owner);
  model->bytes_ = bytes;
  const std::uint64_t data_offset = model->info_.header.data.offset;
  for (const auto& t : model->info_.tensors) {
    model->views_.push_back({&t, bytes.subspan(static_cast<std::size_t>(data_offset + t.offset), static_cast<std::size_t>(t.byte_size))});
  }
  return model;
}

Result<std::shared_ptr<LoadedModel>> load_model(std::vector<std::uint8_t> file, const LoadOptions& options) {
  auto owner = std::make_shared<const std::vector<std::uint8_t>>(std::move(file));
  const std::span<const std::uint8_t> bytes(*owner);
  return load_owned(std::move(owner), bytes, options);
}

Result<std::shared_ptr<LoadedModel>> load_model_file(const std::string& path, const LoadOptions& options) {
  auto source = FileSource::open(path);
  if (!source.ok()) return source.status();
  auto info = validate_model(*source.value(), options.validate);
  if (!info.ok()) return info.status();
  const std::uint64_t size = source.value()->size();
  const auto refuse = [&](const char* why) {
    return make_error(ErrorCode::E_LIMIT_ADDRESS_SPACE, hdr::kFileLength,
                      "file of " + std::to_string(size) + " bytes " + why);
  };
  if (size > options.max_addressable || size > std::numeric_limits<std::size_t>::max()) {
    return refuse("exceeds this runtime's address space");
  }
  // malloc, not a vector: a failed allocation must become an error code, never an abort (wasm32
  // builds have no exceptions).
  std::shared_ptr<std::uint8_t> block(static_cast<std::uint8_t*>(std::malloc(static_cast<std::size_t>(size))), std::free);
  if (!block) return refuse("cannot be allocated in this runtime's memory");
  const std::span<std::uint8_t> bytes(block.get(), static_cast<std::size_t>(size));
  if (auto s = source.value()->read(0, bytes); !s.ok()) return s;
  // Validated again in memory: the file may have changed between the two reads.
  return load_owned(std::move(block), bytes, options);
}

std::uint64_t memory_budget() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) {
    return std::min<std::uint64_t>(static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page),
                                   std::numeric_limits<std::size_t>::max());
  }
#endif
  return std::numeric_limits<std::size_t>::max();
}

Result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path) {
  auto source = FileSource::open(path);
  if (!source.ok()) return source.status();
  const std::uint64_t size = source.value()->size();
  // A size is checked against memory before it is allocated: never an abort on a huge file.
  if (size > memory_budget()) {
    return make_error(ErrorCode::E_LIMIT_ADDRESS_SPACE, kNoOffset,
                      path + ": " + std::to_string(size) + " bytes do not fit this machine's memory");
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (auto s = source.value()->read(0, bytes); !s.ok()) return s;
  return bytes;
}

Result<std::vector<std::uint8_t>> read_fully_validated(const std::string& path, ModelInfo& info) {
  // Streaming validation first (checks 1-49: check 50, the digest, is last and runs in memory
  // below), so a malformed file of any size is rejected before it is read whole.
  auto source = FileSource::open(path);
  if (!source.ok()) return source.status();
  if (auto streamed = validate_model(*source.value()); !streamed.ok()) return streamed.status();
  auto bytes = read_file_bytes(path);
  if (!bytes.ok()) return bytes.status();
  auto validated = validate_model(bytes.value(), {.verify_digest = true});  // the file may have changed meanwhile
  if (!validated.ok()) return validated.status();
  info = std::move(validated.value());
  return bytes;
}

}  // namespace slm
