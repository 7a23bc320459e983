// Error codes, generated from spec/errors.def (the one table). Results, never exceptions:
// nothing in reference/ throws across its API, so the library works behind a raw WASM boundary.
#pragma once
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace slm {

enum class ErrorCode : std::uint16_t {
  OK = 0,
#define SLM_ERROR(code, phase, rule, message) code,
#include "errors.def"
#undef SLM_ERROR
};

enum class Phase : std::uint8_t { NONE, DECODE, VALIDATE, IDENTITY, LIMIT, RUNTIME };

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;     // "E_HDR_MAGIC"
  Phase phase;
  std::string_view rule;     // "SLM-HDR-001"
  std::string_view message;  // default human text
};

// Every row of errors.def, in file order (which is check order).
std::span<const ErrorInfo> all_errors();
const ErrorInfo& error_info(ErrorCode code);  // OK gets a row of its own
std::string_view phase_name(Phase phase);
bool parse_error_code(std::string_view name, ErrorCode& out);

inline constexpr std::uint64_t kNoOffset = std::numeric_limits<std::uint64_t>::max();

// The outcome of an operation: a code, an optional byte offset into the input, a message for people.
// [[nodiscard]]: a Status that nobody looks at is a failure nobody reports. Where ignoring one is
// really intended, say so with a (void) cast and a comment.
struct [[nodiscard]] Status {
  ErrorCode code = ErrorCode::OK;
  std::uint64_t offset = kNoOffset;
  std::string message;

  bool ok() const { return code == ErrorCode::OK; }
  bool has_offset() const { return offset != kNoOffset; }
  static Status success() { return {}; }
};

Status make_error(ErrorCode code, std::uint64_t offset, std::string message = {});

namespace detail {
// Reading the value of a Result that holds an error is a programming error (check ok() first):
// prints the status to stderr and calls std::abort(). No exceptions, so it works in the wasm32 build.
[[noreturn]] void result_has_no_value(const Status& status) noexcept;
}  // namespace detail

// A value or the Status that explains why there is none. value() and operator-> on an error abort,
// in every build type (RelWithDebInfo and Release define NDEBUG, so this is not an assert): the
// check is one well-predicted branch to a cold function, and the alternative, a default-constructed
// value, would let a caller that forgot to check carry on with garbage.
template <class T>
class [[nodiscard]] Result {
public:
  Result(T value) : value_(std::move(value)), has_value_(true) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}             // NOLINT: implicit by design

  bool ok() const { return has_value_; }
  const Status& status() const { return status_; }
  T& value() {
    check();
    return value_;
  }
  const T& value() const {
    check();
    return value_;
  }
  T* operator->() {
    check();
    return &value_;
  }
  const T* operator->() const {
    check();
    return &value_;
  }

private:
  void check() const {
    if (!has_value_) [[unlikely]] detail::result_has_no_value(status_);
  }

  T value_{};
  Status status_{};
  bool has_value_ = false;
};

}  // namespace slm
