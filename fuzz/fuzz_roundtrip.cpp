// Anything accepted reads into a description and writes back to the same bytes, which validate
// again to the same identity (the writer is canonical).
#include <cstdint>
#include <vector>

#include "slm/checksum.h"
#include "slm/writer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  slm::reseal_identity(bytes);
  slm::reseal(bytes);
  const auto model = slm::read_model(bytes);
  if (!model.ok()) return 0;
  const auto written = slm::write_model(model.value());
  if (written != bytes) __builtin_trap();
  const auto again = slm::validate_model(written, {.verify_digest = true});
  if (!again.ok()) __builtin_trap();
  return 0;
}
