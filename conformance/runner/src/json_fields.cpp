#include "json_fields.h"

#include <cmath>
#include <limits>

namespace slmconf {

using nlohmann::json;


bool read_string(const json& j, const char* key, std::string& out) {
  const auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool read_bool(const json& j, const char* key, bool& out) {
  const auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_boolean()) return false;
  out = it->get<bool>();
  return true;
}

bool read_u64(const json& j, const char* key, std::uint64_t& out) {
  const auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_number_unsigned()) return false;
  out = it->get<std::uint64_t>();
  return true;
}

bool read_u32(const json& j, const char* key, std::uint32_t& out) {
  std::uint64_t v = out;
  if (!read_u64(j, key, v) || v > 0xFFFFFFFFull) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool read_f32(const json& j, const char* key, float& out) {
  const auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_number()) return false;
  const double v = it->get<double>();
  if (!(std::fabs(v) <= static_cast<double>(std::numeric_limits<float>::max()))) return false;  // finite as an f32
  out = static_cast<float>(v);
  return true;
}

bool read_u32(const json& j, const char* key, std::optional<std::uint32_t>& out) {
  if (!j.contains(key)) return true;
  std::uint32_t v = 0;
  if (!read_u32(j, key, v)) return false;
  out = v;
  return true;
}

}  // namespace slmconf
