// The identity block as JSON: one writer (ops/common.cpp identity_to_json) over one conversion of
// the binary identity to its hex spelling (identity_of), for the CLI and the cases alike.
#include "slmconf/identity_json.h"

#include "ops/op.h"

namespace slmconf {

nlohmann::ordered_json identity_json(const slm::Identity& id) { return identity_to_json(identity_of(id)); }

}  // namespace slmconf
