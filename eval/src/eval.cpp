// spec/eval.md, in the order of its sections.
#include "slmeval/eval.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "slmconf/json_fields.h"
#include "slm/generate.h"
#include "slm/sha256.h"
#include "slm/tokenizer.h"
#include "slmconf/identity_json.h"

namespace slmeval {

using nlohmann::json;

namespace {

constexpr std::uint64_t kMaxSetBytes = 64ull << 20, kMaxLineBytes = 1ull << 20, kMaxCases = 10000;

slm::Status set_error(std::uint64_t line, std::uint64_t offset, const std::string& message) {
  return slm::make_error(slm::ErrorCode::E_EVAL_SET, offset, "line " + std::to_string(line) + ": " + message);
}

std::string f32_bits(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, 4);
  static const char* hex = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, bits >>= 4) s[static_cast<std::size_t>(i)] = hex[bits & 15];
  return s;
}

// ---- 2. Canonical JSON ----

void canonical_string(const std::string& s, std::string& out) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void canonical(const json& v, std::string& out) {
  switch (v.type()) {
    case json::value_t::object: {
      std::vector<std::string> keys;
      for (const auto& [k, _] : v.items()) keys.push_back(k);
      std::sort(keys.begin(), keys.end());  // bytewise: every key here is ASCII
      out += '{';
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i) out += ',';
        canonical_string(keys[i], out);
        out += ':';
        canonical(v.at(keys[i]), out);
      }
      out += '}';
      break;
    }
    case json::value_t::array:
      out += '[';
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        canonical(v[i], out);
      }
      out += ']';
      break;
    case json::value_t::string: canonical_string(v.get_ref<const std::string&>(), out); break;
    case json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case json::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); break;
    case json::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); break;
    default: out += "null"; break;  // no floats occur (eval.md 2)
  }
}

std::string canonical_text(const json& v) {
  std::string out;
  canonical(v, out);
  return out;
}

bool has_float(const json& v) {
  if (v.is_number_float()) return true;
  if (v.is_structured()) {
    for (const auto& x : v) {
      if (has_float(x)) return true;
    }
  }
  return false;
}

std::string sha256_hex(const std::string& s) {
  return slm::to_hex(slm::sha256({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}));
}

// ---- 1. The set file ----

bool id_byte(char c, bool set_name) {
  if (set_name) return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
         c == '-';
}

bool valid_name(const std::string& s, std::size_t max, bool set_name) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [&](char c) { return id_byte(c, set_name); });
}

bool string_list(const json& j, std::size_t max_items, std::size_t max_bytes, std::vector<std::string>& out) {
  if (!j.is_array() || j.size() > max_items) return false;
  out.clear();
  for (const auto& x : j) {
    if (!x.is_string() || x.get_ref<const std::string&>().empty() || x.get_ref<const std::string&>().size() > max_bytes) return false;
    out.push_back(x.get<std::string>());
  }
  return true;
}

// The *param* keys of `j` into `p`; the name of the first bad one, or empty.
std::string read_params(const json& j, Params& p) {
  if (!slmconf::read_u32(j, "max_tokens", p.max_tokens) || p.max_tokens > 4096) return "max_tokens";
  if (!slmconf::read_f32(j, "temperature", p.temperature) || !(p.temperature >= 0.0f && p.temperature <= 100.0f)) {
    return "temperature";
  }
  if (p.temperature == 0.0f) p.temperature = 0.0f;  // -0 reads as +0
  if (!slmconf::read_u32(j, "top_k", p.top_k)) return "top_k";
  if (!slmconf::read_f32(j, "top_p", p.top_p) || !(p.top_p > 0.0f && p.top_p <= 1.0f)) return "top_p";
  if (!slmconf::read_u64(j, "seed", p.seed)) return "seed";
  if (j.contains("stop") && !string_list(j["stop"], 8, 64, p.stop)) return "stop";
  std::string match = p.match == Match::EXACT ? "exact" : "trim";
  if (!slmconf::read_string(j, "match", match) || (match != "exact" && match != "trim")) return "match";
  p.match = match == "exact" ? Match::EXACT : Match::TRIM;
  return "";
}

// Arrays and objects nested deeper than this are refused before parsing: the parser recurses.
constexpr std::size_t kMaxDepth = 64;

bool too_deep(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// RFC 8259 text without a byte order mark, without a duplicate key in any object and nested at
// most 64 deep (eval.md 1, check 3); discarded otherwise.
json parse_strict(std::string_view text) {
  if (too_deep(text)) return json(json::value_t::discarded);
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") return json(json::value_t::discarded);
  std::vector<std::set<std::string>> open;  // the keys seen in each enclosing object
  bool duplicate = false;
  json j = json::parse(
      text,
      [&](int, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::object_start) open.emplace_back();
        if (event == json::parse_event_t::object_end && !open.empty()) open.pop_back();
        if (event == json::parse_event_t::key && !open.empty() && !open.back().insert(parsed.get<std::string>()).second) duplicate = true;
        return true;
      },
      false);
  return duplicate ? json(json::value_t::discarded) : j;
}

const std::set<std::string> kParamKeys = {"max_tokens", "temperature", "top_k", "top_p", "seed", "stop", "match"};

json resolved_json(const EvalCase& c) {
  const Params& p = c.params;
  return {{"expected", c.expected}, {"id", c.id},           {"match", p.match == Match::EXACT ? "exact" : "trim"},
          {"max_tokens", p.max_tokens}, {"must_pass", c.must_pass}, {"prompt", c.prompt},
          {"seed", p.seed},         {"stop", p.stop},       {"tags", c.tags},
          {"temperature", f32_bits(p.temperature)}, {"top_k", p.top_k}, {"top_p", f32_bits(p.top_p)}};
}

}  // namespace

slm::Result<EvalSet> parse_set(std::string_view text) {
  if (text.size() > kMaxSetBytes) return set_error(0, 0, "the file is larger than 64 MiB");
  EvalSet set;
  Params defaults;
  std::set<std::string> ids;
  std::uint64_t line = 0;
  std::size_t offset = 0;  // the set is in memory: size_t (32 bits in wasm32)
  while (offset < text.size()) {
    ++line;
    const std::size_t end = text.find('\n', offset);
    const std::string_view raw = text.substr(offset, end == std::string_view::npos ? std::string_view::npos : end - offset);
    const std::uint64_t at = offset;
    offset = end == std::string_view::npos ? text.size() : end + 1;
    if (raw.size() > kMaxLineBytes) return set_error(line, at, "longer than 1 MiB");
    const std::string s(raw);
    if (!slmconf::is_utf8(s)) return set_error(line, at, "not valid UTF-8");
    if (s.find('\r') != std::string::npos) return set_error(line, at, "contains a carriage return");
    if (s.empty()) return set_error(line, at, "empty line");
    const json j = parse_strict(s);
    if (j.is_discarded() || !j.is_object()) {
      return set_error(line, at, "not one JSON object (or a byte order mark, or a duplicate key)");
    }
    if (line == 1) {  // the header
      for (const auto& [k, _] : j.items()) {
        if (k != "slm_eval" && k != "name" && k != "description" && k != "defaults") return set_error(line, at, "unknown key '" + k + "'");
      }
      if (!j.contains("slm_eval") || !j["slm_eval"].is_number_unsigned() || j["slm_eval"].get<std::uint64_t>() != 1) {
        return set_error(line, at, "the header needs \"slm_eval\": 1");
      }
      if (!j.contains("name") || !slmconf::read_string(j, "name", set.name) || !valid_name(set.name, 64, true)) {
        return set_error(line, at, "name must be 1-64 bytes of [a-z0-9._-]");
      }
      if (!slmconf::read_string(j, "description", set.description)) return set_error(line, at, "description must be a string");
      if (j.contains("defaults")) {
        if (!j["defaults"].is_object()) return set_error(line, at, "defaults must be an object");
        for (const auto& [k, _] : j["defaults"].items()) {
          if (!kParamKeys.count(k)) return set_error(line, at, "unknown key 'defaults." + k + "'");
        }
        if (auto bad = read_params(j["defaults"], defaults); !bad.empty()) return set_error(line, at, "defaults." + bad + " is out of range or of the wrong type");
      }
      continue;
    }
    static const std::set<std::string> case_keys = {"id", "prompt", "expected", "must_pass", "tags", "max_tokens", "temperature",
                                                    "top_k", "top_p", "seed", "stop", "match"};
    for (const auto& [k, _] : j.items()) {
      if (!case_keys.count(k)) return set_error(line, at, "unknown key '" + k + "'");
    }
    EvalCase c;
    c.params = defaults;
    for (const char* key : {"id", "prompt", "expected"}) {
      if (!j.contains(key) || !j[key].is_string()) return set_error(line, at, std::string(key) + " must be a string");
    }
    c.id = j["id"].get<std::string>();
    c.prompt = j["prompt"].get<std::string>();
    c.expected = j["expected"].get<std::string>();
    if (!valid_name(c.id, 128, false)) return set_error(line, at, "id must be 1-128 bytes of [A-Za-z0-9._:-]");
    if (!slmconf::read_bool(j, "must_pass", c.must_pass)) return set_error(line, at, "must_pass must be true or false");
    if (j.contains("tags") && !string_list(j["tags"], 16, 64, c.tags)) return set_error(line, at, "tags must be at most 16 strings of 1-64 bytes");
    if (auto bad = read_params(j, c.params); !bad.empty()) return set_error(line, at, bad + " is out of range or of the wrong type");
    if (!ids.insert(c.id).second) return set_error(line, at, "id '" + c.id + "' repeats an earlier case");
    if (set.cases.size() >= kMaxCases) return set_error(line, at, "more than 10000 cases");
    c.digest = sha256_hex(canonical_text(resolved_json(c)));
    set.cases.push_back(std::move(c));
  }
  if (line == 0) return set_error(1, 0, "empty file: no header");
  if (set.cases.empty()) return set_error(line + 1, text.size(), "no cases");
  json digests = json::array();
  for (const auto& c : set.cases) digests.push_back(c.digest);
  set.digest = sha256_hex(canonical_text(json{{"cases", digests}, {"name", set.name}, {"slm_eval", 1}}));
  return set;
}

slm::Result<std::string> read_bounded(const std::string& path, std::uint64_t max_bytes, slm::ErrorCode too_large) {
  auto file = slm::FileSource::open(path);  // E_IO_READ for a missing file, a directory, a FIFO
  if (!file.ok()) return file.status();
  if (file.value()->size() > max_bytes) {
    return slm::make_error(too_large, 0, "the file is larger than " + std::to_string(max_bytes >> 20) + " MiB");
  }
  std::string text(static_cast<std::size_t>(file.value()->size()), '\0');
  if (auto s = file.value()->read(0, {reinterpret_cast<std::uint8_t*>(text.data()), text.size()}); !s.ok()) return s;
  return text;
}

slm::Result<EvalSet> read_set(const std::string& path) {
  auto text = read_bounded(path, kMaxSetBytes, slm::ErrorCode::E_EVAL_SET);  // checked before reading
  if (!text.ok()) {
    if (text.status().code == slm::ErrorCode::E_EVAL_SET) return set_error(0, 0, "the file is larger than 64 MiB");
    return text.status();
  }
  return parse_set(text.value());
}

// ---- 4. Policy ----

namespace {

slm::Status policy_error(const std::string& message) {
  return slm::make_error(slm::ErrorCode::E_EVAL_POLICY, slm::kNoOffset, message);
}

slm::Result<Policy> policy_from_json(const json& j, const EvalSet* set) {
  if (!j.is_object()) return policy_error("a policy is a JSON object");
  static const std::set<std::string> keys = {"min_pass_percent", "must_pass", "no_regression", "max_model_bytes",
                                             "max_kv_cache_bytes", "max_scratch_bytes"};
  for (const auto& [k, _] : j.items()) {
    if (!keys.count(k)) return policy_error("unknown key '" + k + "'");
  }
  Policy p;
  if (!slmconf::read_u32(j, "min_pass_percent", p.min_pass_percent) || p.min_pass_percent > 100) {
    return policy_error("min_pass_percent must be an integer 0-100");
  }
  if (j.contains("must_pass") && !string_list(j["must_pass"], kMaxCases, 128, p.must_pass)) {
    return policy_error("must_pass must be a list of case ids");
  }
  if (!slmconf::read_bool(j, "no_regression", p.no_regression)) return policy_error("no_regression must be true or false");
  const std::pair<const char*, std::optional<std::uint64_t>*> ceilings[] = {
      {"max_model_bytes", &p.max_model_bytes}, {"max_kv_cache_bytes", &p.max_kv_cache_bytes}, {"max_scratch_bytes", &p.max_scratch_bytes}};
  for (const auto& [key, out] : ceilings) {
    if (!j.contains(key) || j[key].is_null()) continue;
    std::uint64_t v = 0;
    if (!slmconf::read_u64(j, key, v)) return policy_error(std::string(key) + " must be an unsigned integer");
    *out = v;
  }
  if (set) {
    for (const auto& id : p.must_pass) {
      if (std::none_of(set->cases.begin(), set->cases.end(), [&](const EvalCase& c) { return c.id == id; })) {
        return policy_error("must_pass names '" + id + "', which the set does not have");
      }
    }
  }
  return p;
}

json policy_json(const Policy& p) {
  const auto opt = [](const std::optional<std::uint64_t>& v) { return v ? json(*v) : json(nullptr); };
  return {{"min_pass_percent", p.min_pass_percent}, {"must_pass", p.must_pass}, {"no_regression", p.no_regression},
          {"max_model_bytes", opt(p.max_model_bytes)}, {"max_kv_cache_bytes", opt(p.max_kv_cache_bytes)},
          {"max_scratch_bytes", opt(p.max_scratch_bytes)}};
}

}  // namespace

slm::Result<Policy> parse_policy(std::string_view text, const EvalSet& set) {
  const json j = parse_strict(text);
  if (j.is_discarded()) return policy_error("not JSON (or a byte order mark, a duplicate key, nesting deeper than 64)");
  return policy_from_json(j, &set);
}

Resources resources_of(const slm::ModelInfo& m) {
  const auto& hp = m.header.hparams;
  const std::uint64_t kv_dim = std::uint64_t{hp.dim} / hp.n_heads * hp.n_kv_heads;
  return {m.header.file_length, 2ull * hp.n_layers * hp.max_seq_len * kv_dim * 4,
          4ull * (4ull * hp.dim + 2ull * hp.hidden_dim + std::uint64_t{hp.n_heads} * hp.max_seq_len + hp.vocab_size)};
}

// ---- 5. Gate ----

Verdict judge_gate(const EvalSet& set, const std::vector<CaseResult>& results, const Resources& r, const Policy& policy,
                   const Baseline* baseline) {
  Verdict v;
  std::uint64_t passed = 0;
  for (const auto& c : results) passed += c.passed ? 1 : 0;
  const std::uint64_t n = results.size();
  if (passed * 100 < std::uint64_t{policy.min_pass_percent} * n) {
    v.reasons.push_back("pass rate " + std::to_string(passed) + "/" + std::to_string(n) + " below " +
                        std::to_string(policy.min_pass_percent) + "%");
  }
  for (std::size_t i = 0; i < results.size() && i < set.cases.size(); ++i) {
    const bool must = set.cases[i].must_pass ||
                      std::find(policy.must_pass.begin(), policy.must_pass.end(), set.cases[i].id) != policy.must_pass.end();
    if (must && !results[i].passed) v.reasons.push_back("must-pass case " + results[i].id + " failed");
  }
  if (baseline && policy.no_regression) {
    for (const auto& c : results) {
      const auto it = std::find_if(baseline->passed.begin(), baseline->passed.end(), [&](const auto& b) { return b.first == c.id; });
      if (it != baseline->passed.end() && it->second && !c.passed) v.reasons.push_back("regression: " + c.id + " passed in the baseline");
    }
  }
  const std::tuple<const char*, std::uint64_t, std::optional<std::uint64_t>> ceilings[] = {
      {"model_bytes", r.model_bytes, policy.max_model_bytes},
      {"kv_cache_bytes", r.kv_cache_bytes, policy.max_kv_cache_bytes},
      {"scratch_bytes", r.scratch_bytes, policy.max_scratch_bytes}};
  for (const auto& [name, value, ceiling] : ceilings) {
    if (ceiling && value > *ceiling) {
      v.reasons.push_back(std::string(name) + " " + std::to_string(value) + " above ceiling " + std::to_string(*ceiling));
    }
  }
  v.passed = v.reasons.empty();
  return v;
}

// ---- 3. Running ----

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::EOS: return "eos";
    case StopReason::MAX_TOKENS: return "max_tokens";
    case StopReason::CONTEXT: return "context";
    case StopReason::STOP: return "stop";
    case StopReason::PROMPT_TOO_LONG: return "prompt_too_long";
  }
  return "max_tokens";
}

namespace {

std::string trimmed(const std::string& s) {
  const char* ws = " \t\n\r";
  const std::size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

slm::Result<CaseResult> run_case(const std::shared_ptr<const slm::LoadedModel>& model, const slm::TokenizerRuntime& tok,
                                 const EvalCase& c, std::uint32_t threads) {
  CaseResult r;
  r.id = c.id;
  r.case_digest = c.digest;
  slm::GenerateRequest req;
  req.prompt = c.prompt;
  req.max_tokens = c.params.max_tokens;
  req.sampling = {c.params.temperature, c.params.top_k, c.params.top_p, c.params.seed};
  req.threads = threads;
  auto g = slm::generate(model, req);
  if (!g.ok()) {
    if (g.status().code != slm::ErrorCode::E_GEN_PROMPT_TOO_LONG) return g.status();
    r.stop = StopReason::PROMPT_TOO_LONG;
    r.min_margin = std::numeric_limits<float>::infinity();  // no step: null in the sidecar
    return r;
  }
  r.stop = g->stop_reason == "eos" ? StopReason::EOS : g->stop_reason == "context" ? StopReason::CONTEXT : StopReason::MAX_TOKENS;
  // T(k) token by token; the first k whose text holds a stop string ends the output (eval.md 3).
  std::uint32_t previous = g->prompt_tokens.back();
  std::string text;
  std::size_t k = 0;
  for (; k < g->tokens.size(); ++k) {
    text += tok.decode_piece(previous, g->tokens[k]);
    previous = g->tokens[k];
    std::size_t first = std::string::npos;
    for (const auto& s : c.params.stop) first = std::min(first, text.find(s));
    if (first != std::string::npos) {
      text.resize(first);
      r.stop = StopReason::STOP;
      ++k;
      break;
    }
  }
  r.tokens.assign(g->tokens.begin(), g->tokens.begin() + static_cast<std::ptrdiff_t>(k));
  r.output = std::move(text);
  const bool utf8 = slmconf::is_utf8(r.output);
  r.passed = utf8 && (c.params.match == Match::EXACT ? r.output == c.expected : trimmed(r.output) == trimmed(c.expected));
  r.min_margin = std::numeric_limits<float>::infinity();
  for (const auto& s : g->steps) r.min_margin = std::min(r.min_margin, s.logit - s.runner_up);
  return r;
}

}  // namespace

slm::Result<Evidence> run_eval(std::shared_ptr<const slm::LoadedModel> model, const std::optional<slm::Lineage>& lineage,
                               const EvalSet& set, const Policy& policy,
                               const std::optional<Baseline>& baseline, void (*progress)(std::size_t, std::size_t),
                               std::uint32_t threads) {
  if (baseline && baseline->set_digest != set.digest) {
    return slm::make_error(slm::ErrorCode::E_EVAL_BASELINE, slm::kNoOffset,
                           "the baseline ran set " + baseline->set_digest + ", this is set " + set.digest);
  }
  Evidence e;
  e.identity = model->info().header.identity;
  e.lineage = lineage;
  if (lineage) {
    for (const auto& step : lineage->steps) e.adapters.push_back(step.adapter_digest);
  }
  e.set = set;
  e.policy = policy;
  e.baseline = baseline;
  e.resources = resources_of(model->info());
  const slm::TokenizerRuntime tok(model->info().tokenizer);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < set.cases.size(); ++i) {
    auto r = run_case(model, tok, set.cases[i], threads);
    if (!r.ok()) return r.status();
    e.generated_tokens += r->tokens.size();
    e.results.push_back(std::move(r.value()));
    if (progress) progress(i + 1, set.cases.size());
  }
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  e.gate = judge_gate(set, e.results, e.resources, policy, baseline ? &*baseline : nullptr);
  return e;
}

// ---- 6. Sidecar ----

namespace {

json reproducible_json(const Evidence& e) {
  json adapters = json::array();
  for (const auto& d : e.adapters) adapters.push_back(slm::to_hex(d));
  json results = json::array();
  for (std::size_t i = 0; i < e.results.size(); ++i) {
    const CaseResult& r = e.results[i];
    json o = {{"id", r.id}, {"case_digest", r.case_digest}, {"tokens", r.tokens}, {"stop_reason", stop_reason_name(r.stop)},
              {"passed", r.passed}, {"must_pass", e.set.cases[i].must_pass}};
    if (slmconf::is_utf8(r.output)) {
      o["output"] = r.output;
    } else {
      o["output_hex"] = slm::to_hex({reinterpret_cast<const std::uint8_t*>(r.output.data()), r.output.size()});
    }
    results.push_back(std::move(o));
  }
  std::uint64_t passed = 0;
  for (const auto& r : e.results) passed += r.passed ? 1 : 0;
  return {{"spec_version", "1"},
          {"model",
           {{"identity", json(slmconf::identity_json(e.identity))},
            {"adapters", adapters},
            {"lineage", e.lineage ? json(slmconf::lineage_json(*e.lineage)) : json(nullptr)}}},
          {"set", {{"name", e.set.name}, {"digest", e.set.digest}, {"cases", e.set.cases.size()}}},
          {"policy", policy_json(e.policy)},
          {"baseline", e.baseline ? json(e.baseline->reproducible_digest) : json(nullptr)},
          {"results", results},
          {"totals", {{"cases", e.results.size()}, {"passed", passed}, {"failed", e.results.size() - passed}}},
          {"resources",
           {{"model_bytes", e.resources.model_bytes}, {"kv_cache_bytes", e.resources.kv_cache_bytes},
            {"scratch_bytes", e.resources.scratch_bytes}}},
          {"gate", {{"passed", e.gate.passed}, {"reasons", e.gate.reasons}}}};
}

slm::Status sidecar_error(const std::string& message) {
  return slm::make_error(slm::ErrorCode::E_EVAL_SIDECAR, slm::kNoOffset, message);
}

}  // namespace

std::string reproducible_canonical(const Evidence& e) { return canonical_text(reproducible_json(e)); }

std::string sidecar_text(const Evidence& e, std::string_view runtime_name, std::string_view runtime_version) {
  const json r = reproducible_json(e);
  json margins = json::array();
  for (const auto& c : e.results) {
    margins.push_back({{"id", c.id}, {"min_margin", std::isfinite(c.min_margin) ? json(c.min_margin) : json(nullptr)}});
  }
  nlohmann::ordered_json out;
  out["slm_eval_sidecar"] = 1;
  out["reproducible_digest"] = sha256_hex(canonical_text(r));
  out["reproducible"] = r;
  out["measured"] = {{"runtime", {{"name", runtime_name}, {"version", runtime_version}}},
                     {"seconds", e.seconds},
                     {"tokens_per_second", e.seconds > 0 ? static_cast<double>(e.generated_tokens) / e.seconds : 0.0},
                     {"cases", margins}};
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

namespace {

bool is_hex64(const json& v) {
  if (!v.is_string() || v.get_ref<const std::string&>().size() != 64) return false;
  return std::all_of(v.get_ref<const std::string&>().begin(), v.get_ref<const std::string&>().end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Everything a gate or a scorecard reads from R, checked (eval.md 6): types, the set's name rule,
// totals and result counts that agree, integers only. What is read goes into `v`, `set`, `results`.
slm::Status check_reproducible(const json& r, SidecarView& v, EvalSet& set, std::vector<CaseResult>& results, Resources& res,
                               Policy& policy, std::optional<std::string>& baseline_digest) {
  const auto bad = [](const std::string& what) { return sidecar_error("reproducible." + what); };
  if (has_float(r)) return bad("holds a number that is not an integer (eval.md 2: none occur)");
  if (!r.contains("set") || !r["set"].is_object() || !r["set"].contains("name") || !r["set"]["name"].is_string() ||
      !valid_name(r["set"]["name"].get<std::string>(), 64, true) || !r["set"].contains("digest") || !is_hex64(r["set"]["digest"]) ||
      !r["set"].contains("cases") || !r["set"]["cases"].is_number_unsigned()) {
    return bad("set needs name ([a-z0-9._-]), digest (64 hex) and cases");
  }
  if (!r.contains("model") || !r["model"].is_object() || !r["model"].contains("identity") ||
      !slmconf::identity_from_json(r["model"]["identity"])) {
    return bad("model.identity is not an identity block");
  }
  if (!r.contains("results") || !r["results"].is_array() || r["results"].size() != r["set"]["cases"].get<std::uint64_t>()) {
    return bad("results must hold one entry per case of the set");
  }
  std::uint64_t passed = 0;
  for (const auto& c : r["results"]) {
    if (!c.is_object() || !c.contains("id") || !c["id"].is_string() || !c.contains("passed") || !c["passed"].is_boolean() ||
        !c.contains("must_pass") || !c["must_pass"].is_boolean()) {
      return bad("results[] need id, passed and must_pass");
    }
    EvalCase ec;
    ec.id = c["id"].get<std::string>();
    ec.must_pass = c["must_pass"].get<bool>();
    set.cases.push_back(ec);
    CaseResult cr;
    cr.id = ec.id;
    cr.passed = c["passed"].get<bool>();
    passed += cr.passed ? 1 : 0;
    results.push_back(cr);
  }
  const json* t = r.contains("totals") ? &r["totals"] : nullptr;
  if (!t || !t->is_object() || !t->contains("cases") || !t->contains("passed") || !t->contains("failed") ||
      (*t)["cases"] != json(results.size()) || (*t)["passed"] != json(passed) || (*t)["failed"] != json(results.size() - passed)) {
    return bad("totals do not count the results");
  }
  const json* rs = r.contains("resources") ? &r["resources"] : nullptr;
  if (!rs || !rs->is_object()) return bad("resources is missing");
  for (const auto& [key, out] : {std::pair{"model_bytes", &res.model_bytes}, std::pair{"kv_cache_bytes", &res.kv_cache_bytes},
                                 std::pair{"scratch_bytes", &res.scratch_bytes}}) {
    if (!rs->contains(key) || !(*rs)[key].is_number_unsigned()) return bad(std::string("resources.") + key + " is not an unsigned integer");
    *out = (*rs)[key].get<std::uint64_t>();
  }
  if (!r.contains("gate") || !r["gate"].is_object() || !r["gate"].contains("passed") || !r["gate"]["passed"].is_boolean() ||
      !r["gate"].contains("reasons") || !r["gate"]["reasons"].is_array()) {
    return bad("gate needs passed and reasons");
  }
  for (const auto& x : r["gate"]["reasons"]) {
    if (!x.is_string()) return bad("gate.reasons holds a non-string");
  }
  if (!r.contains("policy")) return bad("policy is missing");
  set.digest = r["set"]["digest"].get<std::string>();
  auto p = policy_from_json(r["policy"], &set);
  if (!p.ok()) return bad("policy: " + p.status().message);
  policy = p.value();
  if (!r.contains("baseline") || !(r["baseline"].is_null() || is_hex64(r["baseline"]))) return bad("baseline is neither null nor 64 hex");
  if (!r["baseline"].is_null()) baseline_digest = r["baseline"].get<std::string>();
  v.set_name = r["set"]["name"].get<std::string>();
  v.set_digest = set.digest;
  v.model_digest = r["model"]["identity"]["content_digest"].get<std::string>();
  v.cases = results.size();
  v.passed = passed;
  v.gate_passed = r["gate"]["passed"].get<bool>();
  v.gate_reasons = r["gate"]["reasons"].get<std::vector<std::string>>();
  v.as_baseline.set_digest = v.set_digest;
  for (const auto& c : results) v.as_baseline.passed.emplace_back(c.id, c.passed);
  return slm::Status::success();
}

struct ParsedSidecar {
  SidecarView view;
  EvalSet set;
  std::vector<CaseResult> results;
  Resources resources;
  Policy policy;
  std::optional<std::string> baseline_digest;
};

slm::Result<ParsedSidecar> parse_sidecar_full(std::string_view text) {
  const json j = parse_strict(text);
  if (j.is_discarded() || !j.is_object() || !j.contains("reproducible") || !j["reproducible"].is_object() ||
      !j.contains("reproducible_digest") || !j["reproducible_digest"].is_string()) {
    return sidecar_error("not a sidecar: one JSON object (no byte order mark, duplicate key or nesting deeper than 64) "
                         "with reproducible and reproducible_digest");
  }
  ParsedSidecar out;
  const json& r = j["reproducible"];
  if (has_float(r)) return sidecar_error("reproducible holds a number that is not an integer (eval.md 2: none occur)");
  out.view.reproducible_canonical = canonical_text(r);
  out.view.reproducible_digest = sha256_hex(out.view.reproducible_canonical);
  if (out.view.reproducible_digest != j["reproducible_digest"].get<std::string>()) {
    return sidecar_error("reproducible_digest is " + j["reproducible_digest"].get<std::string>() + ", the reproducible part hashes to " +
                         out.view.reproducible_digest + " (edited?)");
  }
  if (auto s = check_reproducible(r, out.view, out.set, out.results, out.resources, out.policy, out.baseline_digest); !s.ok()) return s;
  out.view.as_baseline.reproducible_digest = out.view.reproducible_digest;
  return out;
}

}  // namespace

slm::Result<SidecarView> parse_sidecar(std::string_view text) {
  auto parsed = parse_sidecar_full(text);
  if (!parsed.ok()) return parsed.status();
  return parsed->view;
}

slm::Result<Verdict> regate(std::string_view text, std::optional<std::string_view> policy_text, const std::optional<Baseline>& baseline) {
  auto parsed = parse_sidecar_full(text);
  if (!parsed.ok()) return parsed.status();
  ParsedSidecar& p = parsed.value();
  Policy policy = p.policy;
  if (policy_text) {
    auto other = parse_policy(*policy_text, p.set);
    if (!other.ok()) return other.status();
    policy = other.value();
  }
  // A sidecar judged against a baseline is judged again against that same baseline, never without.
  if (p.baseline_digest && !baseline) {
    return slm::make_error(slm::ErrorCode::E_EVAL_BASELINE, slm::kNoOffset,
                           "the sidecar was judged against baseline " + *p.baseline_digest + "; give that sidecar with --baseline");
  }
  if (baseline && baseline->set_digest != p.set.digest) {
    return slm::make_error(slm::ErrorCode::E_EVAL_BASELINE, slm::kNoOffset,
                           "the baseline ran set " + baseline->set_digest + ", this sidecar set " + p.set.digest);
  }
  if (baseline && p.baseline_digest && baseline->reproducible_digest != *p.baseline_digest) {
    return slm::make_error(slm::ErrorCode::E_EVAL_BASELINE, slm::kNoOffset,
                           "the sidecar was judged against baseline " + *p.baseline_digest + ", not " + baseline->reproducible_digest);
  }
  return judge_gate(p.set, p.results, p.resources, policy, baseline ? &*baseline : nullptr);
}

slm::Result<std::string> canonicalize(std::string_view text) {
  const json j = parse_strict(text);
  if (j.is_discarded()) return sidecar_error("not JSON (or nested deeper than 64)");
  if (has_float(j)) return sidecar_error("holds a number that is not an integer (eval.md 2: none occur)");
  return canonical_text(j);
}

// ---- 7. Scorecard ----

std::string scorecard_json(const std::vector<SidecarView>& sidecars) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& s : sidecars) {
    rows.push_back({{"model", s.model_digest}, {"set", s.set_name}, {"set_digest", s.set_digest}, {"passed", s.passed},
                    {"cases", s.cases}, {"gate", s.gate_passed}, {"sidecar", s.reproducible_digest}});
  }
  return nlohmann::ordered_json{{"slm_scorecard", 1}, {"rows", rows}}.dump(2) + "\n";
}

std::string scorecard_markdown(const std::vector<SidecarView>& sidecars) {
  std::string out = "| model | set | passed | gate | sidecar |\n|---|---|---:|---|---|\n";
  for (const auto& s : sidecars) {
    out += "| `" + s.model_digest.substr(0, 12) + "` | " + s.set_name + " | " + std::to_string(s.passed) + "/" +
           std::to_string(s.cases) + " | " + (s.gate_passed ? "pass" : "FAIL") + " | `" + s.reproducible_digest.substr(0, 12) + "` |\n";
  }
  return out;
}

}  // namespace slmeval
