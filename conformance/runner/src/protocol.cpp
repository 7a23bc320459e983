#include "slmconf/protocol.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

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

// Text fields carry bytes from files and runtimes that need not be UTF-8; a JSON line must be.
// Invalid bytes become U+FFFD instead of an exception (spec/protocol.md, "Generation cases").
std::string line_of(const ordered& j) { return j.dump(-1, ' ', false, ordered::error_handler_t::replace); }

bool read_tokens(const json& j, const char* key, std::vector<std::uint32_t>& out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return false;
  for (const auto& t : *it) {
    if (!t.is_number_unsigned() || t.get<std::uint64_t>() > 0xFFFFFFFFull) return false;
    out.push_back(t.get<std::uint32_t>());
  }
  return true;
}

// Logits as arrays of numbers; null (JSON's only spelling of a non-finite value) reads as NaN.
bool read_logits(const json& j, std::vector<std::vector<float>>& out) {
  const auto it = j.find("logits");
  if (it == j.end() || !it->is_array()) return false;
  for (const auto& step : *it) {
    if (!step.is_array()) return false;
    std::vector<float> row;
    for (const auto& x : step) {
      if (x.is_number()) row.push_back(x.get<float>());
      else if (x.is_null()) row.push_back(std::numeric_limits<float>::quiet_NaN());
      else return false;
    }
    out.push_back(std::move(row));
  }
  return true;
}

template <typename T>
void read_number(const json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return;
  if constexpr (std::is_floating_point_v<T>) {
    out = it->get<T>();
  } else {
    if (it->is_number_unsigned() && it->get<std::uint64_t>() <= std::numeric_limits<T>::max()) out = it->get<T>();
  }
}

std::optional<Lineage> lineage_from_json(const json& j) {
  if (!j.is_object() || !j.contains("steps") || !j["steps"].is_array()) return std::nullopt;
  Lineage l;
  l.parent_digest = text_field(j, "parent_digest");
  for (const auto& st : j["steps"]) {
    if (!st.is_object()) return std::nullopt;
    l.steps.push_back({text_field(st, "kind"), text_field(st, "adapter_digest"), text_field(st, "descendant_digest")});
  }
  return l;
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
  return line_of(ordered{{"type", "hello"}, {"protocol", h.protocol}, {"name", h.name}, {"version", h.version},
                 {"spec_version", h.spec_version}, {"capabilities", h.capabilities}});
}

std::string request_line(const Request& r) {
  if (r.op == "bye") return line_of(ordered{{"op", "bye"}});
  ordered j = {{"seq", r.seq}, {"op", r.op}};
  if (!r.case_id.empty()) j["case"] = r.case_id;
  j["path"] = r.path;
  if (r.op == "validate") j["verify_digest"] = r.verify_digest;
  if (r.op == "tokenize") j["text"] = r.text, j["add_bos"] = r.add_bos;
  if (r.op == "validate_adapter" || r.op == "apply_adapter") j["parent"] = r.parent;
  if (r.op == "apply_adapter") j["stack"] = r.stack;
  if (r.op == "generate" || (r.op == "apply_adapter" && r.generate_after_apply)) {
    const GenerateParams& g = r.generate;
    j["prompt"] = g.prompt;
    j["max_tokens"] = g.max_tokens;
    j["temperature"] = g.temperature;
    j["top_k"] = g.top_k;
    j["top_p"] = g.top_p;
    j["seed"] = g.seed;
    j["logit_steps"] = g.logit_steps;
  }
  return line_of(j);
}

Request request_for(const Case& c) {
  Request r;
  r.case_id = c.id;
  r.op = c.op;
  r.path = c.input_path;
  r.verify_digest = c.verify_digest;
  r.text = c.text;
  r.add_bos = c.add_bos;
  r.generate = c.generate;
  r.parent = c.parent_path;
  r.stack = c.stack_paths;
  r.generate_after_apply = c.generate_after_apply;
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
  if (a.accepted && (!a.tokens.empty() || a.text)) {
    if (!a.prompt_tokens.empty()) j["prompt_tokens"] = a.prompt_tokens;
    j["tokens"] = a.tokens;
    if (a.text) j["text"] = *a.text;
    if (!a.stop_reason.empty()) j["stop_reason"] = a.stop_reason;
    if (!a.logits.empty()) j["logits"] = a.logits;
  }
  if (a.accepted && a.lineage) {
    ordered steps = ordered::array();
    for (const auto& st : a.lineage->steps) {
      steps.push_back({{"kind", st.kind}, {"adapter_digest", st.adapter_digest}, {"descendant_digest", st.descendant_digest}});
    }
    j["lineage"] = {{"parent_digest", a.lineage->parent_digest}, {"steps", steps}};
  }
  return line_of(j);
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

std::optional<Request> parse_request(const std::string& line, std::string& error, std::optional<std::uint64_t>* seq) {
  const json j = parse_object(line, error);
  if (j.is_null()) return std::nullopt;
  if (seq && j.contains("seq") && j["seq"].is_number_unsigned()) *seq = j["seq"].get<std::uint64_t>();
  Request r;
  if (!j.contains("op") || !j["op"].is_string()) {
    error = "request without op";
    return std::nullopt;
  }
  r.op = j["op"].get<std::string>();
  if (r.op == "bye") return r;
  if (!j.contains("seq") || !j["seq"].is_number_unsigned()) {
    error = "request without a seq (an unsigned integer)";
    return std::nullopt;
  }
  r.seq = j["seq"].get<std::uint64_t>();
  // Every field a request carries has one type and range: a wrong one is an error, never a default.
  const auto wrong = [&](const char* key, const char* what) {
    error = std::string("field '") + key + "' must be " + what;
    return std::nullopt;
  };
  const auto has = [&](const char* key) { return j.contains(key); };
  const auto text = [&](const char* key, std::string& out) {
    if (!has(key)) return true;
    if (!j[key].is_string()) return false;
    out = j[key].get<std::string>();
    return true;
  };
  const auto boolean = [&](const char* key, bool& out) {
    if (!has(key)) return true;
    if (!j[key].is_boolean()) return false;
    out = j[key].get<bool>();
    return true;
  };
  const auto u32 = [&](const char* key, std::uint32_t& out) {
    if (!has(key)) return true;
    if (!j[key].is_number_unsigned() || j[key].get<std::uint64_t>() > 0xFFFFFFFFull) return false;
    out = j[key].get<std::uint32_t>();
    return true;
  };
  const auto f32 = [&](const char* key, float& out) {
    if (!has(key)) return true;
    if (!j[key].is_number()) return false;
    const double v = j[key].get<double>();
    if (!(v >= -3.4028234663852886e38 && v <= 3.4028234663852886e38)) return false;  // finite as an f32
    out = static_cast<float>(v);
    return true;
  };
  if (!text("case", r.case_id)) return wrong("case", "a string");
  if (!text("path", r.path)) return wrong("path", "a string");
  if (!boolean("verify_digest", r.verify_digest)) return wrong("verify_digest", "true or false");
  if (!text("text", r.text)) return wrong("text", "a string");
  if (!boolean("add_bos", r.add_bos)) return wrong("add_bos", "true or false");
  GenerateParams& g = r.generate;
  if (!text("prompt", g.prompt)) return wrong("prompt", "a string");
  if (!u32("max_tokens", g.max_tokens)) return wrong("max_tokens", "an integer in [0, 2^32)");
  if (!f32("temperature", g.temperature)) return wrong("temperature", "a finite number");
  if (!u32("top_k", g.top_k)) return wrong("top_k", "an integer in [0, 2^32)");
  if (!f32("top_p", g.top_p)) return wrong("top_p", "a finite number");
  if (has("seed")) {
    if (!j["seed"].is_number_unsigned()) return wrong("seed", "an integer in [0, 2^64)");
    g.seed = j["seed"].get<std::uint64_t>();
  }
  if (!u32("logit_steps", g.logit_steps)) return wrong("logit_steps", "an integer in [0, 2^32)");
  if (!text("parent", r.parent)) return wrong("parent", "a string");
  if (has("stack")) {
    if (!j["stack"].is_array()) return wrong("stack", "an array of strings");
    for (const auto& p : j["stack"]) {
      if (!p.is_string()) return wrong("stack", "an array of strings");
      r.stack.push_back(p.get<std::string>());
    }
  }
  r.generate_after_apply = r.op == "apply_adapter" && j.contains("prompt");
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
  if (a.accepted) {
    read_tokens(j, "prompt_tokens", a.prompt_tokens);
    read_tokens(j, "tokens", a.tokens);
    if (j.contains("text") && j["text"].is_string()) a.text = j["text"].get<std::string>();
    a.stop_reason = text_field(j, "stop_reason");
    read_logits(j, a.logits);
    if (j.contains("lineage")) a.lineage = lineage_from_json(j["lineage"]);
  }
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
