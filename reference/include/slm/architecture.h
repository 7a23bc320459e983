// The Llama-style decoder's required tensors, in canonical directory order (spec/format.md 8.3).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "slm/format.h"

namespace slm {

struct RequiredTensor {
  std::string name;
  std::vector<std::uint64_t> shape;  // row-major, last dim contiguous
  bool norm = false;                 // RMSNorm weights must be f32
};

// Precondition: hparams passed the SLM-HPA-001 checks (n_heads divides dim, n_kv_heads divides n_heads).
std::vector<RequiredTensor> required_tensors(const Hyperparameters& hp, bool untied_output);
std::uint64_t required_tensor_count(std::uint32_t n_layers, bool untied_output);

}  // namespace slm
