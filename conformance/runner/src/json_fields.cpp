#include "slmconf/json_fields.h"

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

bool is_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : c & (0x7Fu >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

}  // namespace slmconf
