// Strict parsing of numeric arguments (spec/tools.md, SLM-TOOL-006): the whole text must be a
// number of the flag's kind (no sign on an unsigned value, no trailing bytes, no wrap-around), and
// within the flag's range; a float must be finite. Failures are E_ARG_VALUE naming the flag.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "slm/errors.h"
#include "slmconf/results.h"

namespace slmcli {

struct U64Range {
  std::uint64_t min = 0, max = UINT64_MAX;
};
struct F64Range {
  double min = 0, max = 0;
  bool min_inclusive = true, max_inclusive = true;
};

[[nodiscard]] slm::Status parse_u64(std::string_view flag, std::string_view text, U64Range range, std::uint64_t& out);
[[nodiscard]] slm::Status parse_u32(std::string_view flag, std::string_view text, U64Range range, std::uint32_t& out);
[[nodiscard]] slm::Status parse_f64(std::string_view flag, std::string_view text, F64Range range, double& out);
// "K/N" with 1 <= K <= N <= 65536, both strict unsigned integers.
[[nodiscard]] slm::Status parse_shard(std::string_view flag, std::string_view text, slmconf::Shard& out);
// "L1" .. "L5".
[[nodiscard]] slm::Status parse_level(std::string_view flag, std::string_view text, slmconf::Level& out);

}  // namespace slmcli
