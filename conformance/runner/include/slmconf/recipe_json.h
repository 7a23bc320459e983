// A generator recipe as the cases spell it ({"generate": {...}} inputs, spec/protocol.md section 1):
// one writer for the case generators, one strict reader for untrusted case files.
// nlohmann/json is heavy: include this only where JSON is already being written.
#pragma once
#include <nlohmann/json.hpp>

#include "slmgen/recipe.h"

namespace slmconf {

nlohmann::ordered_json recipe_to_json(const slmgen::ModelRecipe& recipe);

// False when `j` is not an object or a field has the wrong type (an absent field keeps `out`'s).
[[nodiscard]] bool recipe_from_json(const nlohmann::json& j, slmgen::ModelRecipe& out);

}  // namespace slmconf
