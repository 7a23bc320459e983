#include "slmconf/programs.h"

#include "slmconf/program_json.h"

namespace slmconf {

namespace {

struct NamedProgram {
  std::string_view name, text;
};

// Written by CMake from conformance/programs/*.json (conformance/runner/CMakeLists.txt).
constexpr NamedProgram kPrograms[] = {
#include "programs.inc"
};

}  // namespace

slm::Result<slmgen::ModelProgram> builtin_program(std::string_view name) {
  for (const auto& p : kPrograms) {
    if (p.name == name) return program_from_json_text(std::string(p.text));
  }
  return slm::make_error(slm::ErrorCode::E_PROGRAM_INVALID, slm::kNoOffset,
                         "no program named '" + std::string(name) + "' in conformance/programs/");
}

std::vector<std::string> builtin_program_names() {
  std::vector<std::string> out;
  for (const auto& p : kPrograms) out.emplace_back(p.name);
  return out;
}

}  // namespace slmconf
