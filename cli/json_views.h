// JSON views of reference results, shared by the CLI commands (schemas in spec/schemas/).
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "slm/errors.h"
#include "slm/validate.h"

namespace slmcli {

// {"code","phase","rule","offset","message"}; offset is null when the error has none.
nlohmann::json error_json(const slm::Status& status);
nlohmann::json model_info_json(const slm::ModelInfo& info);

}  // namespace slmcli
