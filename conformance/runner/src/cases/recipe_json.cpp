#include "slmconf/recipe_json.h"

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
bool recipe_from_json(const nlohmann::json& j, slmgen::ModelRecipe& r) {
  if (!j.is_object()) return false;
  const auto text = [&](const char* key, std::string& out) {
    if (!j.contains(key)) return true;
    if (!j[key].is_string()) return false;
    out = j[key].get<std::string>();
    return true;
  };
  const auto u32 = [&](const char* key, std::optional<std::uint32_t>& out) {
    if (!j.contains(key)) return true;
    if (!j[key].is_number_unsigned() || j[key].get<std::uint64_t>() > UINT32_MAX) return false;
    out = static_cast<std::uint32_t>(j[key].get<std::uint64_t>());
    return true;
  };
  if (j.contains("seed")) {
    if (!j["seed"].is_number_unsigned()) return false;
    r.seed = j["seed"].get<std::uint64_t>();
  }
  if (j.contains("untied")) {
    if (!j["untied"].is_boolean()) return false;
    r.untied = j["untied"].get<bool>();
  }
  return text("preset", r.preset) && text("tokenizer", r.tokenizer) && text("dtype", r.dtype) && u32("layers", r.layers) &&
         u32("dim", r.dim) && u32("hidden_dim", r.hidden_dim) && u32("heads", r.heads) && u32("kv_heads", r.kv_heads) &&
         u32("vocab", r.vocab);
}

}  // namespace slmconf
