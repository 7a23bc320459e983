#include "slm/errors.h"

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace slm {
namespace {

constexpr std::array kErrors = {
    ErrorInfo{ErrorCode::OK, "OK", Phase::NONE, "", "ok"},
#define SLM_ERROR(code, phase, rule, message) ErrorInfo{ErrorCode::code, #code, Phase::phase, rule, message},
#include "errors.def"
#undef SLM_ERROR
};

}  // namespace

std::span<const ErrorInfo> all_errors() { return std::span<const ErrorInfo>(kErrors).subspan(1); }

const ErrorInfo& error_info(ErrorCode code) {
  const auto index = static_cast<std::size_t>(code);
  return index < kErrors.size() ? kErrors[index] : kErrors[0];
}

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::NONE: return "NONE";
    case Phase::DECODE: return "DECODE";
    case Phase::VALIDATE: return "VALIDATE";
    case Phase::IDENTITY: return "IDENTITY";
    case Phase::LIMIT: return "LIMIT";
    case Phase::RUNTIME: return "RUNTIME";
  }
  return "NONE";
}

bool parse_error_code(std::string_view name, ErrorCode& out) {
  for (const auto& row : kErrors) {
    if (row.name == name) {
      out = row.code;
      return true;
    }
  }
  return false;
}

Status make_error(ErrorCode code, std::uint64_t offset, std::string message) {
  Status status;
  status.code = code;
  status.offset = offset;
  status.message = message.empty() ? std::string(error_info(code).message) : std::move(message);
  return status;
}

namespace detail {

void result_has_no_value(const Status& status) noexcept {
  const ErrorInfo& row = error_info(status.code);
  std::fprintf(stderr, "slm: Result::value() read on an error (a caller did not check ok()): %.*s [%.*s]",
               static_cast<int>(row.name.size()), row.name.data(), static_cast<int>(row.rule.size()), row.rule.data());
  if (status.has_offset()) std::fprintf(stderr, " at offset %" PRIu64, status.offset);
  std::fprintf(stderr, ": %s\n", status.message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace detail

}  // namespace slm
