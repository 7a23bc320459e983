#include "slm/model_file.h"

namespace slm {

const TensorView* LoadedModel::find(std::string_view name) const {
  for (const auto& v : views_) {
    if (v.entry->name == name) return &v;
  }
  return nullptr;
}

Result<std::shared_ptr<LoadedModel>> load_model(std::vector<std::uint8_t> file, const LoadOptions& options) {
  auto info = validate_model(file, options.validate);
  if (!info.ok()) return info.status();
  auto model = std::make_shared<LoadedModel>();
  model->info_ = std::move(info.value());
  model->storage_ = std::move(file);
  const std::uint64_t data_offset = model->info_.header.data.offset;
  for (const auto& t : model->info_.tensors) {
    model->views_.push_back({&t, std::span<const std::uint8_t>(model->storage_).subspan(
                                     static_cast<std::size_t>(data_offset + t.offset), static_cast<std::size_t>(t.byte_size))});
  }
  return model;
}

Result<std::shared_ptr<LoadedModel>> load_model_file(const std::string& path, const LoadOptions& options) {
  auto source = FileSource::open(path);
  if (!source.ok()) return source.status();
  auto info = validate_model(*source.value(), options.validate);
  if (!info.ok()) return info.status();
  const std::uint64_t size = source.value()->size();
  if (size > options.max_addressable) {
    return make_error(ErrorCode::E_LIMIT_ADDRESS_SPACE, hdr::kFileLength,
                      "file of " + std::to_string(size) + " bytes exceeds this runtime's " +
                          std::to_string(options.max_addressable) + "-byte address space");
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (auto s = source.value()->read(0, bytes); !s.ok()) return s;
  // Validated again in memory: the file may have changed between the two reads.
  return load_model(std::move(bytes), options);
}

Result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path) {
  auto source = FileSource::open(path);
  if (!source.ok()) return source.status();
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(source.value()->size()));
  if (auto s = source.value()->read(0, bytes); !s.ok()) return s;
  return bytes;
}

}  // namespace slm
