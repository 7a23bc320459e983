// A generator recipe as the cases spell it ({"generate": {...}} inputs, spec/protocol.md section 1):
// one writer for the case generators, one strict reader for untrusted case files.
// nlohmann/json is heavy: include this only where JSON is already being written.
#pragma once
#include <nlohmann/json.hpp>

#include "slm/errors.h"
#include "slmgen/recipe.h"

namespace slmconf {

nlohmann::ordered_json recipe_to_json(const slmgen::ModelRecipe& recipe);

// E_CASE_INVALID naming the field when `j` is not an object or a field has the wrong type; an
// absent field keeps ModelRecipe's default.
[[nodiscard]] slm::Result<slmgen::ModelRecipe> recipe_from_json(const nlohmann::json& j);

}  // namespace slmconf
