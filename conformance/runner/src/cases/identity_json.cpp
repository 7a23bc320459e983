#include "slmconf/identity_json.h"

#include "slm/sha256.h"

namespace slmconf {

nlohmann::ordered_json identity_json(const slm::Identity& id) {
  return {{"parameter_count", id.parameter_count},
          {"tensor_count", id.tensor_count},
          {"flags", id.flags},
          {"layout_checksum", slm::to_hex_u64(id.layout_checksum)},
          {"tokenizer_checksum", slm::to_hex_u64(id.tokenizer_checksum)},
          {"content_digest", slm::to_hex(id.content_digest)}};
}

}  // namespace slmconf
