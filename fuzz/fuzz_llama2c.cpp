// llama2.c inputs that `slm convert` reads from strangers: a tokenizer.bin (vocab size taken from the
// first two input bytes) and a checkpoint (with a fixed tokenizer). Whatever imports must validate.
#include <cstdint>
#include <span>

#include "slm/llama2c.h"
#include "slm/llama2c_checkpoint.h"
#include "slm/validate.h"
#include "slmgen/model_gen.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::span<const std::uint8_t> input(data, size);
  const std::uint32_t vocab = 259u + (std::uint32_t{data[0]} | (std::uint32_t{data[1]} << 8));
  const auto tokenizer = slm::import_llama2c_tokenizer(input.subspan(2), vocab);
  if (tokenizer.ok() && tokenizer->pieces.size() != vocab) __builtin_trap();

  static const auto fixed_tokenizer = slm::export_llama2c_tokenizer(slmgen::synthetic_bpe_tokenizer(300));
  const auto model = slm::import_llama2c(input, fixed_tokenizer);
  if (model.ok() && !slm::validate_model(slm::write_model(model.value())).ok()) __builtin_trap();
  return 0;
}
