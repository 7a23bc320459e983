// Writing case folders (internal to `slm gen cases`).
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace slmconf {

inline constexpr const char* kCaseSpecVersion = "1";

// Writes dir/expected.json and, if given, dir/model.slm; "" or an error message.
std::string write_case(const std::filesystem::path& dir, const nlohmann::ordered_json& expected,
                       const std::vector<std::uint8_t>* input);

// Whether `s` is well-formed UTF-8 (only such texts can be recorded in JSON).
bool is_utf8(const std::string& s);

// The L4 goldens: tokenize/ and generate/ (golden_cases.cpp).
std::string write_golden_cases(const std::filesystem::path& root);

// adapters/: negatives, valid applications, a stack and a fix (adapter_cases.cpp).
std::string write_adapter_cases(const std::filesystem::path& root);

}  // namespace slmconf
