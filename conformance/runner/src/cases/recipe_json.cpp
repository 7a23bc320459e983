#include "slmconf/recipe_json.h"

#include "slmconf/json_fields.h"

namespace slmconf {

nlohmann::ordered_json recipe_to_json(const slmgen::ModelRecipe& r) {
  nlohmann::ordered_json j = {{"preset", r.preset}, {"seed", r.seed}};
  if (!r.tokenizer.empty()) j["tokenizer"] = r.tokenizer;
  if (!r.dtype.empty()) j["dtype"] = r.dtype;
  if (r.untied) j["untied"] = true;
  if (r.layers) j["layers"] = *r.layers;
  if (r.dim) j["dim"] = *r.dim;
  if (r.hidden_dim) j["hidden_dim"] = *r.hidden_dim;
  if (r.heads) j["heads"] = *r.heads;
  if (r.kv_heads) j["kv_heads"] = *r.kv_heads;
  if (r.vocab) j["vocab"] = *r.vocab;
  return j;
}

// Case files are untrusted: every field is type-checked, and a wrong type is an error.
slm::Result<slmgen::ModelRecipe> recipe_from_json(const nlohmann::json& j) {
  const auto bad = [](const char* key, const char* what) {
    return slm::make_error(slm::ErrorCode::E_CASE_INVALID, slm::kNoOffset,
                           std::string("bad recipe: '") + key + "' must be " + what);
  };
  if (!j.is_object()) return slm::make_error(slm::ErrorCode::E_CASE_INVALID, slm::kNoOffset, "bad recipe: not an object");
  slmgen::ModelRecipe r;
  if (!read_string(j, "preset", r.preset)) return bad("preset", "a string");
  if (!read_string(j, "tokenizer", r.tokenizer)) return bad("tokenizer", "a string");
  if (!read_string(j, "dtype", r.dtype)) return bad("dtype", "a string");
  if (!read_u64(j, "seed", r.seed)) return bad("seed", "an integer in [0, 2^64)");
  if (!read_bool(j, "untied", r.untied)) return bad("untied", "true or false");
  const std::pair<const char*, std::optional<std::uint32_t>*> sizes[] = {
      {"layers", &r.layers}, {"dim", &r.dim},         {"hidden_dim", &r.hidden_dim},
      {"heads", &r.heads},   {"kv_heads", &r.kv_heads}, {"vocab", &r.vocab}};
  for (const auto& [key, out] : sizes) {
    if (!read_u32(j, key, *out)) return bad(key, "an integer in [0, 2^32)");
  }
  return r;
}

}  // namespace slmconf
