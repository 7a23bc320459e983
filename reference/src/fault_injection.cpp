// Test-only: reads SLM_DISABLE_CHECKS once. Compiled into slm_reference_faulty only.
#ifdef SLM_FAULT_INJECTION
#include <cstdlib>
#include <set>
#include <string>

#include "check.h"

namespace slm {

bool check_disabled(ErrorCode code) {
  static const std::set<ErrorCode> disabled = [] {
    std::set<ErrorCode> out;
    const char* env = std::getenv("SLM_DISABLE_CHECKS");
    std::string list = env ? env : "";
    for (std::size_t start = 0; start < list.size();) {
      std::size_t end = list.find(',', start);
      if (end == std::string::npos) end = list.size();
      ErrorCode c{};
      if (parse_error_code(std::string_view(list).substr(start, end - start), c)) out.insert(c);
      start = end + 1;
    }
    return out;
  }();
  return disabled.count(code) != 0;
}

bool fault_active(const char* name) {
  static const std::string faults = [] {
    const char* env = std::getenv("SLM_FAULTS");
    return "," + std::string(env ? env : "") + ",";
  }();
  return faults.find("," + std::string(name) + ",") != std::string::npos;
}

}  // namespace slm
#endif
