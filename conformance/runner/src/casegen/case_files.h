// Writing case folders (internal to `slm gen cases`).
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "slm/errors.h"
#include "slm/validate.h"

namespace slmconf {

inline constexpr const char* kCaseSpecVersion = "1";

// Errors of `slm gen cases`: E_IO_WRITE for a file that cannot be written, E_CASE_INVALID (through
// case_error) for a case that does not come out as declared, a generator's own code otherwise.

// `status` with "`id`: " before its message: which case an error is about.
inline slm::Status in_case(const std::string& id, slm::Status status) {
  status.message = id + ": " + status.message;
  return status;
}

// Writes dir/expected.json and, if given, dir/model.slm.
slm::Status write_case(const std::filesystem::path& dir, const nlohmann::ordered_json& expected,
                       const std::vector<std::uint8_t>* input);

// expect.tensors of an accepted model: name, dtype, shape and SHA-256 of each tensor's bytes, in
// directory order (spec/protocol.md 1). `info` is the validation result of `file`.
nlohmann::ordered_json tensor_digests_json(const std::vector<std::uint8_t>& file, const slm::ModelInfo& info);

// expect.logits of a case: the 8 largest logits of each recorded step (ties: lower id first) and
// the stated tolerance (spec/protocol.md 1.1).
nlohmann::ordered_json logits_expectation(const std::vector<std::vector<float>>& logits);

// The L4 goldens: tokenize/ and generate/ (golden_cases.cpp).
slm::Status write_golden_cases(const std::filesystem::path& root);

// eval/: the hello set on the buggy parent, through each fix, and a faulty set (eval_cases.cpp).
// Runs after the adapter cases, whose fix adapters and program it uses.
slm::Status write_eval_cases(const std::filesystem::path& root);

// adapters/: negatives, valid applications, a stack and a fix (adapter_cases.cpp).
slm::Status write_adapter_cases(const std::filesystem::path& root);

}  // namespace slmconf
