// The harness protocol's messages (spec/protocol.md): JSON lines, one object per line.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  std::string op;  // "validate", "tokenize", "generate", "validate_adapter", "apply_adapter" or "bye"
  std::string path;
  bool verify_digest = false;  // validate
  std::string text;            // tokenize
  bool add_bos = true;         // tokenize
  GenerateParams generate;     // generate, and apply_adapter when `generate_after_apply`
  std::string parent;          // validate_adapter, apply_adapter: the parent model
  std::vector<std::string> stack;  // apply_adapter: further adapters, in order
  bool generate_after_apply = false;
};

// The request a case makes (without its seq).
Request request_for(const Case& c);

std::string hello_line(const Hello& hello);
std::string request_line(const Request& request);
std::string answer_line(std::uint64_t seq, const Answer& answer);
// The errored answer to a line that has no readable seq: {"seq": null, "status": "errored", ...}.
std::string answer_line_without_seq(const Answer& answer);

// Strict parsers: nullopt (with `error` set) for anything that is not a well-formed message.
std::optional<Hello> parse_hello(const std::string& line, std::string& error);
// parse_request also reports, through `seq`, the seq of a line it refuses when it has one, so the
// refusal can be answered.
std::optional<Request> parse_request(const std::string& line, std::string& error,
                                     std::optional<std::uint64_t>* seq = nullptr);
std::optional<Answer> parse_answer(const std::string& line, std::uint64_t expected_seq, std::string& error);
// One-shot mode: the verdict comes from the exit status; stdout may add code, offset, identity.
Answer parse_oneshot_output(bool accepted, const std::string& stdout_text);

}  // namespace slmconf
