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

namespace slmconf {

nlohmann::ordered_json identity_json(const slm::Identity& id);
// Strict: every field present, of its type, hex in lower case and of its length; nullopt otherwise.
std::optional<slm::Identity> identity_from_json(const nlohmann::json& j);

nlohmann::ordered_json lineage_json(const slm::Lineage& lineage);
std::optional<slm::Lineage> lineage_from_json(const nlohmann::json& j);

// Lower-case hex of exactly out.size() bytes; false on any other text.
[[nodiscard]] bool parse_hex(std::string_view text, std::span<std::uint8_t> out);

}  // namespace slmconf
