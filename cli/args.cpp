#include "args.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace slmcli {
namespace {

slm::Status bad(std::string_view flag, std::string_view text, const std::string& why) {
  return slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset,
                         std::string(flag) + ": '" + std::string(text) + "' " + why);
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string range_text(U64Range r) {
  return "an integer in [" + std::to_string(r.min) + ", " + std::to_string(r.max) + "]";
}

}  // namespace

slm::Status parse_u64(std::string_view flag, std::string_view text, U64Range range, std::uint64_t& out) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, 10);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) return bad(flag, text, "is not " + range_text(range));
  if (ec == std::errc::result_out_of_range || value < range.min || value > range.max) {
    return bad(flag, text, "is out of range: expected " + range_text(range));
  }
  out = value;
  return slm::Status::success();
}

slm::Status parse_u32(std::string_view flag, std::string_view text, U64Range range, std::uint32_t& out) {
  if (range.max > UINT32_MAX) range.max = UINT32_MAX;
  std::uint64_t value = 0;
  if (auto s = parse_u64(flag, text, range, value); !s.ok()) return s;
  out = static_cast<std::uint32_t>(value);
  return slm::Status::success();
}

slm::Status parse_f64(std::string_view flag, std::string_view text, F64Range range, double& out) {
  // strtod takes what from_chars for double (missing in some libstdc++) would; the whole text must go.
  const std::string copy(text);
  char* end = nullptr;
  const double value = copy.empty() || std::isspace(static_cast<unsigned char>(copy[0])) ? NAN : std::strtod(copy.c_str(), &end);
  const std::string expected = std::string("a finite number in ") + (range.min_inclusive ? "[" : "(") +
                               number(range.min) + ", " + number(range.max) + (range.max_inclusive ? "]" : ")");
  if (copy.empty() || end != copy.c_str() + copy.size()) return bad(flag, text, "is not " + expected);
  if (!std::isfinite(value)) return bad(flag, text, "is not finite: expected " + expected);
  const bool low = range.min_inclusive ? value < range.min : value <= range.min;
  const bool high = range.max_inclusive ? value > range.max : value >= range.max;
  if (low || high) return bad(flag, text, "is out of range: expected " + expected);
  out = value;
  return slm::Status::success();
}

slm::Status parse_shard(std::string_view flag, std::string_view text, slmconf::Shard& out) {
  constexpr U64Range kRange{1, 65536};
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad(flag, text, "is not K/N (the K-th of N shards, 1 <= K <= N)");
  slmconf::Shard shard;
  if (auto s = parse_u32(flag, text.substr(0, slash), kRange, shard.index); !s.ok()) return s;
  if (auto s = parse_u32(flag, text.substr(slash + 1), kRange, shard.count); !s.ok()) return s;
  if (shard.index > shard.count) return bad(flag, text, "is not K/N with K <= N");
  out = shard;
  return slm::Status::success();
}

slm::Status parse_level(std::string_view flag, std::string_view text, slmconf::Level& out) {
  if (!slmconf::parse_level(std::string(text), out)) return bad(flag, text, "is not a level L1..L5");
  return slm::Status::success();
}

}  // namespace slmcli
