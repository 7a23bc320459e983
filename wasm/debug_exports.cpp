// Not part of the ABI: a forward-pass fingerprint the kernel work compares with native builds.
#include <cstdint>
#include <vector>

#include "slm/model_file.h"
#include "slm/transformer.h"
#include "slm/xxh64.h"

extern "C" __attribute__((used, visibility("default"))) std::uint64_t slm_forward_fingerprint(const std::uint8_t* data,
                                                                                             std::uint32_t size,
                                                                                             std::uint32_t steps) {
  auto model = slm::load_model(std::vector<std::uint8_t>(data, data + size));
  if (!model.ok()) return 0;
  auto transformer = slm::Transformer::create(model.value(), 0);
  if (!transformer.ok()) return 0;
  const std::uint32_t vocab = model.value()->info().header.hparams.vocab_size;
  slm::Xxh64 h;
  for (std::uint32_t pos = 0; pos < steps && pos < transformer.value()->context(); ++pos) {
    const auto& logits = transformer.value()->forward((pos * 37 + 1) % vocab, pos);
    h.update({reinterpret_cast<const std::uint8_t*>(logits.data()), logits.size() * 4});
  }
  return h.digest();
}
