// The reference's generation, shared by `generate` and `apply_adapter` (a descendant may generate).
#pragma once
#include <memory>

#include "slm/errors.h"
#include "slm/model_file.h"
#include "slmconf/case.h"

namespace slmconf {

// Runs `params` on a loaded model; the outputs go to `out`, or the Status says why generation refused.
[[nodiscard]] slm::Status generate_into(const std::shared_ptr<const slm::LoadedModel>& model, const GenerateParams& params,
                                        GenerationOutput& out);

}  // namespace slmconf
