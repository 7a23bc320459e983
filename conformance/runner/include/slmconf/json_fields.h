// Strict readers of one field of an untrusted JSON object (case files, request and answer lines,
// recipes, programs): the one place the harness decides what "an integer" or "a number" is.
// An absent field leaves `out` alone and reads as true; a present field of another type or range is
// false, never a default. nlohmann/json is heavy: include this only where JSON is being read.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace slmconf {

[[nodiscard]] bool read_string(const nlohmann::json& j, const char* key, std::string& out);
[[nodiscard]] bool read_bool(const nlohmann::json& j, const char* key, bool& out);
[[nodiscard]] bool read_u32(const nlohmann::json& j, const char* key, std::uint32_t& out);
[[nodiscard]] bool read_u32(const nlohmann::json& j, const char* key, std::optional<std::uint32_t>& out);
[[nodiscard]] bool read_u64(const nlohmann::json& j, const char* key, std::uint64_t& out);
[[nodiscard]] bool read_f32(const nlohmann::json& j, const char* key, float& out);  // finite as an f32

// Shortest-form UTF-8 without surrogates, at most U+10FFFF: what a JSON string can carry.
bool is_utf8(const std::string& s);

}  // namespace slmconf
