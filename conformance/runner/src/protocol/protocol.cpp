// The protocol codec: common fields here, each operation's fields in its file (src/ops/).
#include "slmconf/protocol.h"

#include "ops/op.h"

namespace slmconf {

using wire::json;
using wire::ordered;

namespace {

slm::Status bad_line(const std::string& message) {
  return slm::make_error(slm::ErrorCode::E_PROTOCOL_LINE, slm::kNoOffset, message);
}

// Text fields carry bytes from files and runtimes that need not be UTF-8; a JSON line must be.
// Invalid bytes become U+FFFD instead of an exception (spec/protocol.md, "Generation cases").
std::string line_of(const ordered& j) { return j.dump(-1, ' ', false, ordered::error_handler_t::replace); }

slm::Result<json> parse_object(const std::string& line) {
  if (line.size() > kMaxLineBytes) return bad_line("line longer than " + std::to_string(kMaxLineBytes) + " bytes");
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad_line("not a JSON object: " + line.substr(0, 120));
  return j;
}

std::string text_field(const json& j, const char* key) {
  std::string out;
  return read_string(j, key, out) ? out : std::string();
}

}  // namespace

std::string_view op_name(const OpParams& params) {
  return std::visit([](const auto& p) { return OpOf<decltype(p)>::name; }, params);
}

std::string hello_line(const Hello& h) {
  return line_of(ordered{{"type", "hello"}, {"protocol", h.protocol}, {"name", h.name}, {"version", h.version},
                         {"spec_version", h.spec_version}, {"capabilities", h.capabilities}});
}

std::string bye_line() { return line_of(ordered{{"op", "bye"}}); }

std::string request_line(const Request& r) {
  ordered j = {{"seq", r.seq}, {"op", op_name(r.params)}};
  if (!r.case_id.empty()) j["case"] = r.case_id;
  j["path"] = r.path;
  std::visit([&](const auto& p) { Behaviour<OpOf<decltype(p)>>::write_params(p, j); }, r.params);
  return line_of(j);
}

Request request_for(const Case& c) {
  Request r;
  r.case_id = c.id;
  r.path = c.input_path;
  r.params = c.params;
  return r;
}

std::string answer_line_without_seq(const Answer& a) {
  return line_of(ordered{{"seq", nullptr}, {"status", "errored"}, {"message", a.message}});
}

std::string answer_line(std::uint64_t seq, const Answer& a) {
  ordered j = {{"seq", seq}};
  switch (a.kind) {
    case Answer::Kind::SKIPPED: j["status"] = "skipped"; j["reason"] = a.message; return line_of(j);
    case Answer::Kind::ERRORED: j["status"] = "errored"; j["message"] = a.message; return line_of(j);
    case Answer::Kind::RESULT: break;
  }
  j["status"] = "ok";
  j["accepted"] = a.accepted;
  if (!a.accepted) {
    j["code"] = a.code;
    j["offset"] = a.offset ? json(*a.offset) : json(nullptr);
    if (a.step) j["step"] = *a.step;
    j["message"] = a.message;
    return line_of(j);
  }
  std::visit([&](const auto& o) { Behaviour<OpOf<decltype(o)>>::write_output(o, j); }, a.output);
  return line_of(j);
}

slm::Result<Hello> parse_hello(const std::string& line) {
  auto parsed = parse_object(line);
  if (!parsed.ok()) return parsed.status();
  const json& j = parsed.value();
  if (text_field(j, "type") != "hello" || !j.contains("protocol") || !j["protocol"].is_string()) {
    return bad_line("first line is not a hello: " + line.substr(0, 120));
  }
  Hello h;
  h.protocol = j["protocol"].get<std::string>();
  if (h.protocol != kProtocolName) {
    return bad_line("unsupported protocol '" + h.protocol + "' (runner speaks " + kProtocolName + ")");
  }
  h.name = text_field(j, "name");
  h.version = text_field(j, "version");
  h.spec_version = text_field(j, "spec_version");
  if (j.contains("capabilities") && j["capabilities"].is_array()) {
    for (const auto& c : j["capabilities"]) if (c.is_string()) h.capabilities.push_back(c.get<std::string>());
  }
  return h;
}

slm::Result<RequestLine> parse_request(const std::string& line, std::optional<std::uint64_t>* seq) {
  auto parsed = parse_object(line);
  if (!parsed.ok()) return parsed.status();
  const json& j = parsed.value();
  if (seq && j.contains("seq") && j["seq"].is_number_unsigned()) *seq = j["seq"].get<std::uint64_t>();
  if (!j.contains("op") || !j["op"].is_string()) return bad_line("request without op");
  const std::string op = j["op"].get<std::string>();
  RequestLine out;
  if (op == "bye") {
    out.bye = true;
    return out;
  }
  if (!j.contains("seq") || !j["seq"].is_number_unsigned()) return bad_line("request without a seq (an unsigned integer)");
  Request& r = out.request;
  r.seq = j["seq"].get<std::uint64_t>();
  if (!read_string(j, "case", r.case_id)) return field_error("case", "a string");
  if (!read_string(j, "path", r.path)) return field_error("path", "a string");
  slm::Status status = bad_line("unknown op '" + op + "'");
  with_op_named(op, [&](auto o) {
    auto params = Behaviour<decltype(o)>::read_params(j);
    status = params.status();
    if (params.ok()) r.params = params.value();
  });
  if (!status.ok()) return status;
  return out;
}

slm::Result<Answer> parse_answer(const std::string& line, const Request& request) {
  auto parsed = parse_object(line);
  if (!parsed.ok()) return parsed.status();
  const json& j = parsed.value();
  if (!j.contains("seq") || !j["seq"].is_number_unsigned() || j["seq"].get<std::uint64_t>() != request.seq) {
    return bad_line("answer does not echo seq " + std::to_string(request.seq) + ": " + line.substr(0, 120));
  }
  const std::string status = text_field(j, "status");
  Answer a;
  if (status == "skipped") {
    a.kind = Answer::Kind::SKIPPED;
    a.message = text_field(j, "reason");
    return a;
  }
  if (status == "errored") {
    a.kind = Answer::Kind::ERRORED;
    a.message = text_field(j, "message");
    return a;
  }
  if (status != "ok" || !j.contains("accepted") || !j["accepted"].is_boolean()) {
    return bad_line("answer has neither status ok with accepted, skipped nor errored: " + line.substr(0, 120));
  }
  a.accepted = j["accepted"].get<bool>();
  if (!a.accepted) {
    (void)read_string(j, "code", a.code);
    if (j.contains("offset") && j["offset"].is_number_unsigned()) a.offset = j["offset"].get<std::uint64_t>();
    if (j.contains("step") && j["step"].is_number_unsigned()) a.step = j["step"].get<std::uint64_t>();
    a.message = text_field(j, "message");
    return a;
  }
  std::visit([&](const auto& p) { a.output = Behaviour<OpOf<decltype(p)>>::read_output(j); }, request.params);
  return a;
}

Answer parse_oneshot_output(bool accepted, const std::string& stdout_text) {
  Answer a;
  a.accepted = accepted;
  // The first line that is a JSON object, if any, adds detail; anything else is ignored.
  std::size_t start = 0;
  while (start < stdout_text.size()) {
    std::size_t end = stdout_text.find('\n', start);
    if (end == std::string::npos) end = stdout_text.size();
    const json j = json::parse(stdout_text.substr(start, end - start), nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      if (!accepted) (void)read_string(j, "code", a.code);
      if (!accepted && j.contains("offset") && j["offset"].is_number_unsigned()) a.offset = j["offset"].get<std::uint64_t>();
      a.message = text_field(j, "message");
      if (accepted) a.output = ops::Validate::Output{read_model_report(j)};  // one-shot mode only validates
      break;
    }
    start = end + 1;
  }
  return a;
}

}  // namespace slmconf
