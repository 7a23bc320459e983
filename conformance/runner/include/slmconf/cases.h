// Loading and writing the case tree (spec/protocol.md, "Cases"):
//   <dir>/manifest.json            every case id, level, rules, tags
//   <dir>/<id>/expected.json       one case (schema: spec/schemas/case.schema.json)
//   <dir>/<id>/model.slm | .hex    its input, unless generated from a recipe or deliberately absent
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "slm/errors.h"
#include "slmconf/case.h"

namespace slmconf {

// Loads every case of the manifest. Inputs given as annotated hex or as a generator recipe are
// materialised into `cache_dir` and checked against their recorded SHA-256; every input must lie
// inside the case tree. A case that cannot be loaded is kept with its `load_error` set (the run
// reports it errored); only a missing or malformed manifest is an error here (E_CASE_INVALID).
slm::Result<std::vector<Case>> load_cases(const std::string& dir, const std::string& cache_dir);

// SHA-256 over manifest.json and every case's expected.json, in manifest order (each preceded by
// its id): the case tree's identity in a report, so shards of different trees are never merged.
// E_IO_READ when the manifest cannot be read.
[[nodiscard]] slm::Result<std::string> case_tree_digest(const std::string& dir, const std::vector<Case>& cases);

// SHA-256 of case ids, one per line: a selection's identity, so a merge knows its shards ran the
// same cases.
std::string case_ids_digest(const std::vector<std::string>& ids);

// Converts annotated hex (pairs of hex digits, `# comments`, `XX*N` repeats; at most 16 MiB) to
// bytes, or E_CASE_INVALID naming the line.
slm::Result<std::vector<std::uint8_t>> parse_annotated_hex(const std::string& text);

// Writes the generated cases (valid models, one-fault negatives, absent input) under `dir`, then the
// manifest of everything under `dir`, hand-made cases included. E_IO_WRITE when a file cannot be
// written, E_CASE_INVALID or E_PROGRAM_INVALID when a generated case does not come out as declared.
slm::Status write_generated_cases(const std::string& dir);

}  // namespace slmconf
