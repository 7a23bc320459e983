// The programs of conformance/programs/, compiled in: the one copy of each (spec/generators.md,
// "Programmed models"). The case generator and the tests take them from here; people and the CLI
// read the same files (`slm gen model --program conformance/programs/hello.json`).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "slm/errors.h"
#include "slmgen/program.h"

namespace slmconf {

// "hello" is conformance/programs/hello.json. An unknown name is E_PROGRAM_INVALID.
[[nodiscard]] slm::Result<slmgen::ModelProgram> builtin_program(std::string_view name);
std::vector<std::string> builtin_program_names();

}  // namespace slmconf
