// Programs for programmed models as JSON (spec/generators.md, "Programmed models"): read by
// `slm gen model --program FILE` and by cases whose input is generated from a program.
#pragma once
#include <string>

#include "slm/errors.h"
#include "slmgen/program.h"

namespace slmconf {

// Parses a program; unknown keys are errors (a typo must not silently fall back to a default).
// Errors are E_PROGRAM_INVALID (spec/tools.md, SLM-TOOL-008).
slm::Result<slmgen::ModelProgram> program_from_json_text(const std::string& text);
// Every field, in a stable order: what a case folder records as program.json.
std::string program_to_json_text(const slmgen::ModelProgram& program);

}  // namespace slmconf
