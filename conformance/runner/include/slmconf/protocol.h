// The harness protocol's messages (spec/protocol.md section 4): JSON lines, one object per line.
// The common fields (seq, op, case, path, status, accepted, code, offset, step, message) are read
// here; each operation's own fields by its file in src/ops/.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "slm/errors.h"
#include "slmconf/case.h"

namespace slmconf {

inline constexpr const char* kProtocolName = "slm-conform/1";
inline constexpr std::size_t kMaxLineBytes = 1 << 20;  // a longer line is garbage

struct Hello {
  std::string protocol, name, version, spec_version;
  std::vector<std::string> capabilities;
};

struct Request {
  std::uint64_t seq = 0;
  std::string case_id;  // the case's id, so a runtime's own logs can name it (optional on the wire)
  std::string path;     // the input
  OpParams params;      // the operation and its parameters
};

// A request line: a request, or {"op": "bye"}.
struct RequestLine {
  bool bye = false;
  Request request;
};

// The request a case makes (without its seq).
Request request_for(const Case& c);

std::string hello_line(const Hello& hello);
std::string request_line(const Request& request);
std::string bye_line();
std::string answer_line(std::uint64_t seq, const Answer& answer);
// The errored answer to a line that has no readable seq: {"seq": null, "status": "errored", ...}.
std::string answer_line_without_seq(const Answer& answer);

// Strict parsers: E_PROTOCOL_LINE for anything that is not a well-formed message. parse_request also
// reports, through `seq`, the seq of a line it refuses when it has one, so the refusal can be answered.
[[nodiscard]] slm::Result<Hello> parse_hello(const std::string& line);
[[nodiscard]] slm::Result<RequestLine> parse_request(const std::string& line, std::optional<std::uint64_t>* seq = nullptr);
// An answer to `request`: the request's operation says which fields an acceptance carries.
[[nodiscard]] slm::Result<Answer> parse_answer(const std::string& line, const Request& request);
// One-shot mode: the verdict comes from the exit status; stdout may add code, offset, identity.
Answer parse_oneshot_output(bool accepted, const std::string& stdout_text);

}  // namespace slmconf
