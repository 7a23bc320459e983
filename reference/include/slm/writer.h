// Canonical SLM1 writer (spec/format.md section 2, "Canonical layout"): given the same description it
// always writes the same bytes, and write(read(x)) == x for every valid file x.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "slm/format.h"
#include "slm/validate.h"

namespace slm {

struct TensorData {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::uint64_t> shape;  // row-major, last dim contiguous
  std::vector<std::uint8_t> bytes;   // already encoded in dtype
};

struct ModelDescription {
  Hyperparameters hparams;
  bool untied_output = false;
  Tokenizer tokenizer;
  std::vector<TensorData> tensors;  // in directory order
};

// Writes whatever it is given in canonical layout, computing every derived field (offsets, sizes,
// parameter count, layout and tokenizer checksums, digest, checksum). It does not validate: the
// generators use it to build invalid files too.
std::vector<std::uint8_t> write_model(const ModelDescription& model);

// The inverse: validates `file` and returns its description (tensor bytes copied out).
Result<ModelDescription> read_model(std::span<const std::uint8_t> file);

}  // namespace slm
