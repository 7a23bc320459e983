// The speed baseline of issue 4: llama2.c's forward pass as run.c writes it (plain loops, strict
// left-to-right sums, f32 weights only), compiled -O3 without fast-math. Not a reference: its
// reduction order differs from spec/runtime.md, so its logits differ in the last bits.
#pragma once
#include <cstdint>
#include <vector>

#include "slm/model_file.h"

namespace slmbench {

class BaselineTransformer {
public:
  explicit BaselineTransformer(const slm::LoadedModel& model);  // f32 models only
  const std::vector<float>& forward(std::uint32_t token, std::uint32_t pos);

private:
  const slm::LoadedModel& model_;
  slm::Hyperparameters hp_;
  std::vector<float> x_, xb_, xb2_, hb_, hb2_, q_, att_, logits_, key_cache_, value_cache_;
};

}  // namespace slmbench
