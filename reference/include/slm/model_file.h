// Loading a validated file for use: tensor views in native storage (spec/format.md section 10).
// Validation streams; loading then needs the tensor bytes addressable, which a 32-bit (wasm32) runtime
// cannot promise for every valid file: it refuses with E_LIMIT_ADDRESS_SPACE instead of truncating.
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "slm/validate.h"

namespace slm {

struct TensorView {
  const TensorEntry* entry = nullptr;
  std::span<const std::uint8_t> bytes;  // entry->byte_size bytes in entry->dtype encoding
};

struct LoadOptions {
  ValidateOptions validate;
  // Largest file this runtime can hold in memory; defaults to the host's size_t range.
  std::uint64_t max_addressable = std::numeric_limits<std::size_t>::max();
};

class LoadedModel {
public:
  const ModelInfo& info() const { return info_; }
  const std::vector<TensorView>& tensors() const { return views_; }
  const TensorView* find(std::string_view name) const;
  std::span<const std::uint8_t> file_bytes() const { return bytes_; }

private:
  friend Result<std::shared_ptr<LoadedModel>> load_owned(std::shared_ptr<const void>, std::span<const std::uint8_t>,
                                                         const LoadOptions&);
  ModelInfo info_;
  std::shared_ptr<const void> owner_;  // keeps bytes_ alive: a vector or a malloc'd block
  std::span<const std::uint8_t> bytes_;
  std::vector<TensorView> views_;
};

// Validates `bytes` (kept alive by `owner`: a vector, a malloc'd block, a block the WASM ABI took
// over) and builds the views.
Result<std::shared_ptr<LoadedModel>> load_owned(std::shared_ptr<const void> owner, std::span<const std::uint8_t> bytes,
                                                const LoadOptions& options = {});
// Takes ownership of the bytes, validates them and builds the views.
Result<std::shared_ptr<LoadedModel>> load_model(std::vector<std::uint8_t> file, const LoadOptions& options = {});
// Validates by streaming first, then reads the file only if it is valid and addressable.
Result<std::shared_ptr<LoadedModel>> load_model_file(const std::string& path, const LoadOptions& options = {});

// The most bytes read_file_bytes will hold: the machine's physical memory (and the address space).
std::uint64_t memory_budget();

// Reads a whole file (E_IO_READ on failure, E_LIMIT_ADDRESS_SPACE beyond memory_budget()).
Result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path);

// Validates a model file fully by streaming (content digest included), then reads it whole, as an
// adapter's parent must be (spec/adapters.md: the binding compares content digests); `info` gets the result.
Result<std::vector<std::uint8_t>> read_fully_validated(const std::string& path, ModelInfo& info);

}  // namespace slm
