// Model bytes -> decode + validate (full) -> load, the real path with allocation on. Each input is
// also tried re-sealed (identity checksums, digest, checksum recomputed), since random bytes
// almost never carry a valid XXH64: that copy reaches the semantic checks behind the checksum.
#include <cstdint>
#include <vector>

#include "slm/checksum.h"
#include "slm/model_file.h"
#include "slm/quant.h"

namespace {

void validate_and_load(std::vector<std::uint8_t> bytes) {
  const auto info = slm::validate_model(bytes, {.verify_digest = true});
  if (!info.ok()) {
    if (slm::error_info(info.status().code).phase == slm::Phase::RUNTIME) __builtin_trap();  // no I/O here
    return;
  }
  auto model = slm::load_model(std::move(bytes));
  if (!model.ok()) __builtin_trap();  // what validates must load
  for (const auto& view : model.value()->tensors()) {
    const auto values = slm::decode_tensor(view.entry->dtype, view.bytes, view.entry->elements());
    if (values.size() != view.entry->elements()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  validate_and_load(bytes);
  slm::reseal_identity(bytes);
  slm::reseal(bytes);
  validate_and_load(std::move(bytes));
  return 0;
}
