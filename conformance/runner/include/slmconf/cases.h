// Loading and writing the case tree (spec/protocol.md, "Cases"):
//   <dir>/manifest.json            every case id, level, rules, tags
//   <dir>/<id>/expected.json       one case (schema: spec/schemas/case.schema.json)
//   <dir>/<id>/model.slm | .hex    its input, unless generated from a recipe or deliberately absent
#pragma once
#include <string>
#include <vector>

#include "slmconf/case.h"

namespace slmconf {

// Loads every case of the manifest. Inputs given as annotated hex or as a generator recipe are
// materialised into `cache_dir` and checked against their recorded SHA-256; every input must lie
// inside the case tree. A case that cannot be loaded is kept with its `load_error` set (the run
// reports it errored); only a missing or malformed manifest is an error here ("" otherwise).
std::string load_cases(const std::string& dir, const std::string& cache_dir, std::vector<Case>& out);

// Converts annotated hex (pairs of hex digits, `# comments`, `XX*N` repeats; at most 16 MiB) to bytes.
bool parse_annotated_hex(const std::string& text, std::vector<std::uint8_t>& out, std::string& error);

// Writes the generated cases (valid models, one-fault negatives, absent input) under `dir`, then the
// manifest of everything under `dir`, hand-made cases included. Returns "" or an error.
std::string write_generated_cases(const std::string& dir);

}  // namespace slmconf
