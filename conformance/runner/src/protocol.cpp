#include "slmconf/protocol.h"

#include <nlohmann/json.hpp>

namespace slmconf {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

namespace {

ordered identity_to_json(const Identity& id) {
  return {{"parameter_count", id.parameter_count}, {"tensor_count", id.tensor_count},
          {"flags", id.flags},                     {"layout_checksum", id.layout_checksum},
          {"tokenizer_checksum", id.tokenizer_checksum}, {"content_digest", id.content_digest}};
}

bool identity_from_json(const json& j, Identity& id) {
  if (!j.is_object()) return false;
  const char* ints[] = {"parameter_count", "tensor_count", "flags"};
  const char* strings[] = {"layout_checksum", "tokenizer_checksum", "content_digest"};
  for (const char* k : ints) if (!j.contains(k) || !j[k].is_number_unsigned()) return false;
  for (const char* k : strings) if (!j.contains(k) || !j[k].is_string()) return false;
  id.parameter_count = j["parameter_count"].get<std::uint64_t>();
  id.tensor_count = j["tensor_count"].get<std::uint32_t>();
  id.flags = j["flags"].get<std::uint32_t>();
  id.layout_checksum = j["layout_checksum"].get<std::string>();
  id.tokenizer_checksum = j["tokenizer_checksum"].get<std::string>();
  id.content_digest = j["content_digest"].get<std::string>();
  return true;
}

bool tensors_from_json(const json& j, std::vector<TensorDigest>& out) {
  if (!j.is_array()) return false;
  for (const auto& t : j) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() || !t.contains("sha256") ||
        !t["sha256"].is_string()) {
      return false;
    }
    TensorDigest d;
    d.name = t["name"].get<std::string>();
    d.sha256 = t["sha256"].get<std::string>();
    if (t.contains("dtype") && t["dtype"].is_string()) d.dtype = t["dtype"].get<std::string>();
    if (t.contains("shape") && t["shape"].is_array()) {
      for (const auto& x : t["shape"]) if (x.is_number_unsigned()) d.shape.push_back(x.get<std::uint64_t>());
    }
    out.push_back(std::move(d));
  }
  return true;
}

// A string member, or "" when it is missing or of another type: runtime output is untrusted, and
// json::value() throws on a type mismatch (found by fuzz_protocol).
std::string text_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json parse_object(const std::string& line, std::string& error) {
  if (line.size() > kMaxLineBytes) {
    error = "line longer than " + std::to_string(kMaxLineBytes) + " bytes";
    return json();
  }
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object: " + line.substr(0, 120);
    return json();
  }
  return j;
}

}  // namespace

std::string hello_line(const Hello& h) {
  return ordered{{"type", "hello"}, {"protocol", h.protocol}, {"name", h.name}, {"version", h.version},
                 {"spec_version", h.spec_version}, {"capabilities", h.capabilities}}.dump();
}

std::string request_line(const Request& r) {
  if (r.op == "bye") return ordered{{"op", "bye"}}.dump();
  return ordered{{"seq", r.seq}, {"op", r.op}, {"path", r.path}, {"verify_digest", r.verify_digest}}.dump();
}

std::string answer_line(std::uint64_t seq, const Answer& a) {
  ordered j = {{"seq", seq}};
  switch (a.kind) {
    case Answer::Kind::SKIPPED: j["status"] = "skipped"; j["reason"] = a.message; return j.dump();
    case Answer::Kind::ERRORED: j["status"] = "errored"; j["message"] = a.message; return j.dump();
    case Answer::Kind::RESULT: break;
  }
  j["status"] = "ok";
  j["accepted"] = a.accepted;
  if (!a.accepted) {
    j["code"] = a.code;
    j["offset"] = a.offset ? json(*a.offset) : json(nullptr);
    j["message"] = a.message;
  }
  if (a.identity) j["identity"] = identity_to_json(*a.identity);
  if (!a.tensors.empty()) {
    ordered tensors = ordered::array();
    for (const auto& t : a.tensors) {
      tensors.push_back({{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}, {"sha256", t.sha256}});
    }
    j["tensors"] = tensors;
  }
  return j.dump();
}

std::optional<Hello> parse_hello(const std::string& line, std::string& error) {
  const json j = parse_object(line, error);
  if (j.is_null()) return std::nullopt;
  if (text_field(j, "type") != "hello" || !j.contains("protocol") || !j["protocol"].is_string()) {
    error = "first line is not a hello: " + line.substr(0, 120);
    return std::nullopt;
  }
  Hello h;
  h.protocol = j["protocol"].get<std::string>();
  if (h.protocol != kProtocolName) {
    error = "unsupported protocol '" + h.protocol + "' (runner speaks " + kProtocolName + ")";
    return std::nullopt;
  }
  h.name = text_field(j, "name");
  h.version = text_field(j, "version");
  h.spec_version = text_field(j, "spec_version");
  if (j.contains("capabilities") && j["capabilities"].is_array()) {
    for (const auto& c : j["capabilities"]) if (c.is_string()) h.capabilities.push_back(c.get<std::string>());
  }
  return h;
}

std::optional<Request> parse_request(const std::string& line, std::string& error) {
  const json j = parse_object(line, error);
  if (j.is_null()) return std::nullopt;
  Request r;
  if (!j.contains("op") || !j["op"].is_string()) {
    error = "request without op";
    return std::nullopt;
  }
  r.op = j["op"].get<std::string>();
  if (r.op == "bye") return r;
  if (!j.contains("seq") || !j["seq"].is_number_unsigned()) {
    error = "request without seq";
    return std::nullopt;
  }
  r.seq = j["seq"].get<std::uint64_t>();
  if (j.contains("path") && j["path"].is_string()) r.path = j["path"].get<std::string>();
  if (j.contains("verify_digest") && j["verify_digest"].is_boolean()) r.verify_digest = j["verify_digest"].get<bool>();
  return r;
}

std::optional<Answer> parse_answer(const std::string& line, std::uint64_t expected_seq, std::string& error) {
  const json j = parse_object(line, error);
  if (j.is_null()) return std::nullopt;
  if (!j.contains("seq") || !j["seq"].is_number_unsigned() || j["seq"].get<std::uint64_t>() != expected_seq) {
    error = "answer does not echo seq " + std::to_string(expected_seq) + ": " + line.substr(0, 120);
    return std::nullopt;
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
    error = "answer has neither status ok with accepted, skipped nor errored: " + line.substr(0, 120);
    return std::nullopt;
  }
  a.accepted = j["accepted"].get<bool>();
  if (!a.accepted) {
    if (j.contains("code") && j["code"].is_string()) a.code = j["code"].get<std::string>();
    if (j.contains("offset") && j["offset"].is_number_unsigned()) a.offset = j["offset"].get<std::uint64_t>();
    a.message = text_field(j, "message");
  }
  if (j.contains("identity")) {
    Identity id;
    if (identity_from_json(j["identity"], id)) a.identity = id;
  }
  if (j.contains("tensors")) tensors_from_json(j["tensors"], a.tensors);
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
      if (!accepted && j.contains("code") && j["code"].is_string()) a.code = j["code"].get<std::string>();
      if (!accepted && j.contains("offset") && j["offset"].is_number_unsigned()) a.offset = j["offset"].get<std::uint64_t>();
      if (j.contains("message") && j["message"].is_string()) a.message = j["message"].get<std::string>();
      Identity id;
      if (j.contains("identity") && identity_from_json(j["identity"], id)) a.identity = id;
      if (j.contains("tensors")) tensors_from_json(j["tensors"], a.tensors);
      break;
    }
    start = end + 1;
  }
  return a;
}

}  // namespace slmconf
