// The JSON of an identity and of a lineage: the one codec shared by `slm validate --json`,
// `slm inspect --json`, `slm adapter apply`, the cases' expected.json and protocol answers
// (spec/protocol.md section 1). Integers as numbers; u64 checksums as 16 lower-case hex digits of the
// value; digests as 64 lower-case hex digits of their bytes in file order; kinds by name.
// The types are the library's (slm::Identity, slm::Lineage): there is no second spelling.
// nlohmann/json is heavy: include this only where JSON is already being written.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>

#include "slm/adapter.h"
#include "slm/format.h"
#include "slm/generate.h"
#include "slm/validate.h"

namespace slmconf {

nlohmann::ordered_json identity_json(const slm::Identity& id);
// Strict: every field present, of its type, hex in lower case and of its length; nullopt otherwise.
std::optional<slm::Identity> identity_from_json(const nlohmann::json& j);

nlohmann::ordered_json lineage_json(const slm::Lineage& lineage);
std::optional<slm::Lineage> lineage_from_json(const nlohmann::json& j);

// What a model card and the runtime's diagnostics show, written once for every writer (slm generate
// --json, the WASM ABI's slm_model_info and slm_diagnostics, release packets, the site kit).
// Hyperparameters: every field of the header, norm_eps and rope_theta as the f32 values widened to
// binary64. Tensors by dtype: {"f32", "q8_0", "q4_0"} counts. Diagnostics: runtime.md section 6.
nlohmann::ordered_json hyperparameters_json(const slm::Hyperparameters& hp);
nlohmann::ordered_json tensors_by_dtype_json(const slm::ModelInfo& info);
nlohmann::ordered_json diagnostics_json(const slm::Diagnostics& d);

// Lower-case hex of exactly out.size() bytes; false on any other text.
[[nodiscard]] bool parse_hex(std::string_view text, std::span<std::uint8_t> out);

}  // namespace slmconf
