// The identity block as JSON, the one spelling shared by `slm validate --json`, `slm inspect --json`
// and the cases' expected.json (spec/protocol.md section 1): integers, u64 checksums as 16 lower-case
// hex digits of the value, the digest as 64 hex digits of its bytes in file order.
// nlohmann/json is heavy: include this only where JSON is already being written.
#pragma once
#include <nlohmann/json.hpp>

#include "slm/format.h"

namespace slmconf {

nlohmann::ordered_json identity_json(const slm::Identity& id);

}  // namespace slmconf
