// Pieces the operations share: strict readers of untrusted JSON, the JSON of identities, tensors,
// lineage and generations, and judging that names the field and both values.
#include <cmath>
#include <cstring>
#include <limits>

#include "op.h"
#include "slmconf/identity_json.h"
#include "slm/format.h"
#include "slm/sha256.h"
#include "slm/xxh64.h"

namespace slmconf {

using wire::json;
using wire::ordered;

slm::Status field_error(const char* key, const char* what) {
  return slm::make_error(slm::ErrorCode::E_PROTOCOL_LINE, slm::kNoOffset, std::string("field '") + key + "' must be " + what);
}

slm::Status case_error(const std::string& message) {
  return slm::make_error(slm::ErrorCode::E_CASE_INVALID, slm::kNoOffset, message);
}

slm::Result<GenerateParams> read_generate_params(const json& j) {
  GenerateParams g;
  if (!read_string(j, "prompt", g.prompt)) return field_error("prompt", "a string");
  if (!read_u32(j, "max_tokens", g.max_tokens)) return field_error("max_tokens", "an integer in [0, 2^32)");
  if (!read_f32(j, "temperature", g.temperature)) return field_error("temperature", "a finite number");
  if (!read_u32(j, "top_k", g.top_k)) return field_error("top_k", "an integer in [0, 2^32)");
  if (!read_f32(j, "top_p", g.top_p)) return field_error("top_p", "a finite number");
  if (!read_u64(j, "seed", g.seed)) return field_error("seed", "an integer in [0, 2^64)");
  if (!read_u32(j, "logit_steps", g.logit_steps)) return field_error("logit_steps", "an integer in [0, 2^32)");
  return g;
}

void write_generate_params(const GenerateParams& g, ordered& j) {
  j["prompt"] = g.prompt;
  j["max_tokens"] = g.max_tokens;
  j["temperature"] = g.temperature;
  j["top_k"] = g.top_k;
  j["top_p"] = g.top_p;
  j["seed"] = g.seed;
  j["logit_steps"] = g.logit_steps;
}

// ---- answers ----

std::vector<TensorDigest> tensors_from_json(const json& j) {
  std::vector<TensorDigest> out;
  if (!j.is_array()) return out;
  for (const auto& t : j) {
    TensorDigest d;
    if (!t.is_object() || !t.contains("name") || !t.contains("sha256") || !read_string(t, "name", d.name) ||
        !read_string(t, "sha256", d.sha256)) {
      return {};
    }
    (void)read_string(t, "dtype", d.dtype);
    if (t.contains("shape") && t["shape"].is_array()) {
      for (const auto& x : t["shape"]) if (x.is_number_unsigned()) d.shape.push_back(x.get<std::uint64_t>());
    }
    out.push_back(std::move(d));
  }
  return out;
}

ordered tensors_to_json(const std::vector<TensorDigest>& tensors) {
  ordered out = ordered::array();
  for (const auto& t : tensors) out.push_back({{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}, {"sha256", t.sha256}});
  return out;
}

void write_model_report(const ModelReport& m, ordered& answer) {
  if (m.identity) answer["identity"] = identity_json(*m.identity);
  if (!m.tensors.empty()) answer["tensors"] = tensors_to_json(m.tensors);
}

ModelReport read_model_report(const json& answer) {
  ModelReport m;
  if (answer.contains("identity")) m.identity = identity_from_json(answer["identity"]);
  if (answer.contains("tensors")) m.tensors = tensors_from_json(answer["tensors"]);
  return m;
}

void write_generation_output(const GenerationOutput& g, ordered& answer) {
  if (!g.prompt_tokens.empty()) answer["prompt_tokens"] = g.prompt_tokens;
  answer["tokens"] = g.tokens;
  if (g.text) answer["text"] = *g.text;
  if (!g.stop_reason.empty()) answer["stop_reason"] = g.stop_reason;
  if (!g.logits.empty()) answer["logits"] = g.logits;  // NaN and infinities are written null
}

namespace {

bool read_token_list(const json& j, const char* key, std::vector<std::uint32_t>& out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return false;
  for (const auto& t : *it) {
    if (!t.is_number_unsigned() || t.get<std::uint64_t>() > 0xFFFFFFFFull) return false;
    out.push_back(t.get<std::uint32_t>());
  }
  return true;
}

}  // namespace

GenerationOutput read_generation_output(const json& answer) {
  GenerationOutput g;
  (void)read_token_list(answer, "prompt_tokens", g.prompt_tokens);
  (void)read_token_list(answer, "tokens", g.tokens);
  std::string text;
  if (answer.contains("text") && read_string(answer, "text", text)) g.text = text;
  (void)read_string(answer, "stop_reason", g.stop_reason);
  // Logits as arrays of numbers; null (JSON's only spelling of a non-finite value) reads as NaN.
  if (const auto it = answer.find("logits"); it != answer.end() && it->is_array()) {
    for (const auto& step : *it) {
      if (!step.is_array()) break;
      std::vector<float> row;
      for (const auto& x : step) row.push_back(x.is_number() ? x.get<float>() : std::numeric_limits<float>::quiet_NaN());
      g.logits.push_back(std::move(row));
    }
  }
  return g;
}

// ---- cases ----

slm::Result<ModelReport> read_model_expect(const json& e) {
  ModelReport m;
  if (e.contains("identity")) {
    m.identity = identity_from_json(e["identity"]);
    if (!m.identity) return case_error("expect.identity is not an identity block (integers; checksums and digest in lower-case hex)");
  }
  if (e.contains("tensors")) {
    if (!e["tensors"].is_array()) return case_error("expect.tensors is not an array");
    m.tensors = tensors_from_json(e["tensors"]);
    if (m.tensors.size() != e["tensors"].size()) return case_error("expect.tensors has an entry without name or sha256");
  }
  return m;
}

bool has_tag(const json& expected, const char* tag) {
  if (!expected.contains("tags") || !expected["tags"].is_array()) return false;
  for (const auto& t : expected["tags"]) if (t.is_string() && t.get<std::string>() == tag) return true;
  return false;
}

slm::Result<GenerationExpectation> read_generation_expect(const json& e, bool bit_exact) {
  GenerationExpectation g;
  g.bit_exact = bit_exact;
  if (e.contains("prompt_tokens") && !read_token_list(e, "prompt_tokens", g.prompt_tokens)) {
    return case_error("expect.prompt_tokens is not a list of ids");
  }
  if (!read_token_list(e, "tokens", g.tokens)) return case_error("expect.tokens is missing or not a list of ids");
  std::string text;
  if (e.contains("text")) {
    if (!read_string(e, "text", text)) return case_error("expect.text is not a string");
    g.text = text;
  }
  if (!read_string(e, "stop_reason", g.stop_reason)) return case_error("expect.stop_reason is not a string");
  float margin = 0;
  if (e.contains("min_margin")) {
    if (!read_f32(e, "min_margin", margin)) return case_error("expect.min_margin is not a number");
    g.min_margin = margin;
  }
  if (e.contains("logits")) {
    const json& l = e["logits"];
    float abs = 0, rel = 0;
    if (!l.is_object() || !l.contains("abs_tolerance") || !l.contains("rel_tolerance") || !read_f32(l, "abs_tolerance", abs) ||
        !read_f32(l, "rel_tolerance", rel) || !l.contains("steps") || !l["steps"].is_array()) {
      return case_error("expect.logits needs abs_tolerance, rel_tolerance and steps");
    }
    g.logit_abs_tolerance = l["abs_tolerance"].get<double>();
    g.logit_rel_tolerance = l["rel_tolerance"].get<double>();
    for (const auto& step : l["steps"]) {
      StepLogits s;
      if (!step.is_object() || !step.contains("step") || !read_u32(step, "step", s.step) || !step.contains("top") ||
          !step["top"].is_array()) {
        return case_error("expect.logits.steps has an entry without step and top");
      }
      for (const auto& pair : step["top"]) {
        if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned() || !pair[1].is_number()) {
          return case_error("expect.logits top entries are [token, logit] pairs");
        }
        s.top.emplace_back(pair[0].get<std::uint32_t>(), pair[1].get<float>());
      }
      // The whole vector: every logit is judged, and its digest in a bit-exact case.
      if (step.contains("values")) {
        if (!step["values"].is_array()) return case_error("expect.logits.steps[].values is not an array of numbers");
        for (const auto& v : step["values"]) {  // null: a non-finite logit (NaN, or an infinity)
          if (!v.is_number() && !v.is_null()) return case_error("expect.logits.steps[].values holds a non-number");
          s.values.push_back(v.is_null() ? std::numeric_limits<float>::quiet_NaN() : v.get<float>());
        }
      }
      if (step.contains("xxh64")) {
        std::string hex;
        if (!read_string(step, "xxh64", hex) || hex.size() != 16) return case_error("expect.logits.steps[].xxh64 is not 16 hex digits");
        s.xxh64 = hex;
      }
      g.logits.push_back(std::move(s));
    }
  }
  return g;
}

slm::Result<Lineage> read_lineage_expect(const json& j) {
  auto l = lineage_from_json(j);
  if (!l) {
    return case_error("expect.lineage needs parent_digest and steps of kind (dense, sparse, low-rank), adapter_digest and "
                      "descendant_digest, digests as 64 lower-case hex digits");
  }
  return *l;
}

// ---- judging ----

namespace {

// "identity.flags is 1, expected 0" for the first identity field that differs.
std::string identity_difference(const Identity& got, const Identity& want) {
  const auto field = [](const char* name, const std::string& g, const std::string& w) {
    return std::string("identity.") + name + " is " + g + ", expected " + w;
  };
  if (got.parameter_count != want.parameter_count) {
    return field("parameter_count", std::to_string(got.parameter_count), std::to_string(want.parameter_count));
  }
  if (got.tensor_count != want.tensor_count) return field("tensor_count", std::to_string(got.tensor_count), std::to_string(want.tensor_count));
  if (got.flags != want.flags) return field("flags", std::to_string(got.flags), std::to_string(want.flags));
  if (got.layout_checksum != want.layout_checksum) {
    return field("layout_checksum", slm::to_hex_u64(got.layout_checksum), slm::to_hex_u64(want.layout_checksum));
  }
  if (got.tokenizer_checksum != want.tokenizer_checksum) {
    return field("tokenizer_checksum", slm::to_hex_u64(got.tokenizer_checksum), slm::to_hex_u64(want.tokenizer_checksum));
  }
  return field("content_digest", slm::to_hex(got.content_digest), slm::to_hex(want.content_digest));
}

// Ids [from, to) of `t`, with "..." where the list goes on.
std::string tokens_window(const std::vector<std::uint32_t>& t, std::size_t from, std::size_t to) {
  std::string s = from > 0 ? "... " : "";
  for (std::size_t i = from; i < to && i < t.size(); ++i) s += (i > from ? " " : "") + std::to_string(t[i]);
  return s + (to < t.size() ? " ..." : "");
}

// Both lists' lengths, the first differing index and a window of ids around it in each list.
std::string first_difference(const char* what, const std::vector<std::uint32_t>& want, const std::vector<std::uint32_t>& got) {
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  const std::size_t from = i > 4 ? i - 4 : 0, to = i + 5;
  const std::string at = i < want.size() && i < got.size()
                             ? "first difference at index " + std::to_string(i) + " (got " + std::to_string(got[i]) +
                                   ", expected " + std::to_string(want[i]) + ")"
                             : "equal up to index " + std::to_string(i) + ", where one list ends";
  return std::string(what) + " differ: got " + std::to_string(got.size()) + " ids, expected " + std::to_string(want.size()) +
         "; " + at + "; got [" + tokens_window(got, from, to) + "], expected [" + tokens_window(want, from, to) + "]";
}

}  // namespace

std::string tokens_text(const std::vector<std::uint32_t>& t) { return tokens_window(t, 0, 12); }

std::string logits_xxh64(const std::vector<float>& logits) {
  std::vector<std::uint8_t> bytes(logits.size() * 4);
  for (std::size_t i = 0; i < logits.size(); ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, &logits[i], 4);
    for (int b = 0; b < 4; ++b) bytes[4 * i + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(bits >> (8 * b));  // little-endian
  }
  return slm::to_hex_u64(slm::xxh64(bytes));
}

// L3 of an accepted model: identity fields, and tensor digests when the runtime reports them.
std::optional<Mismatch> model_mismatch(const ModelReport& want, const ModelReport& got) {
  if (!want.identity) return std::nullopt;
  if (!got.identity) {
    return Mismatch{"no identity reported"};
  }
  if (!(*got.identity == *want.identity)) {
    return Mismatch{identity_difference(*got.identity, *want.identity)};
  }
  if (got.tensors.empty()) return std::nullopt;
  if (got.tensors.size() != want.tensors.size()) {
    return Mismatch{"reported " + std::to_string(got.tensors.size()) + " tensors, expected " + std::to_string(want.tensors.size())};
  }
  for (std::size_t i = 0; i < got.tensors.size(); ++i) {
    if (got.tensors[i].name != want.tensors[i].name) {
      return Mismatch{"tensor " + std::to_string(i) + " is named " + got.tensors[i].name + ", expected " + want.tensors[i].name};
    }
    if (got.tensors[i].sha256 != want.tensors[i].sha256) {
      return Mismatch{"tensor " + want.tensors[i].name + " has sha256 " + got.tensors[i].sha256 + ", expected " + want.tensors[i].sha256};
    }
  }
  return std::nullopt;
}

std::optional<Mismatch> lineage_mismatch(const std::optional<Lineage>& got, const Lineage& want) {
  if (!got) return Mismatch{"no lineage reported"};
  if (got->parent_digest != want.parent_digest) {
    return Mismatch{"lineage.parent_digest is " + slm::to_hex(got->parent_digest) + ", expected " + slm::to_hex(want.parent_digest)};
  }
  if (got->steps.size() != want.steps.size()) {
    return Mismatch{"lineage has " + std::to_string(got->steps.size()) + " steps, expected " + std::to_string(want.steps.size())};
  }
  for (std::size_t k = 0; k < want.steps.size(); ++k) {
    const auto& g = got->steps[k];
    const auto& w = want.steps[k];
    const std::string at = "lineage.steps[" + std::to_string(k) + "].";
    const auto name = [](slm::AdapterKind kind) { return std::string(slm::adapter_kind_name(kind)); };
    if (g.kind != w.kind) return Mismatch{at + "kind is " + name(g.kind) + ", expected " + name(w.kind)};
    if (g.adapter_digest != w.adapter_digest) {
      return Mismatch{at + "adapter_digest is " + slm::to_hex(g.adapter_digest) + ", expected " + slm::to_hex(w.adapter_digest)};
    }
    if (g.descendant_digest != w.descendant_digest) {
      return Mismatch{at + "descendant_digest is " + slm::to_hex(g.descendant_digest) + ", expected " + slm::to_hex(w.descendant_digest)};
    }
  }
  return std::nullopt;
}

// L4: token streams exactly, text and stop reason when recorded, logits within the case's tolerance.
std::optional<Mismatch> generation_mismatch(const GenerationExpectation& e, const GenerationOutput& a) {
  if (!e.prompt_tokens.empty() && a.prompt_tokens != e.prompt_tokens) {
    return Mismatch{first_difference("prompt tokens", e.prompt_tokens, a.prompt_tokens)};
  }
  if (a.tokens != e.tokens) {
    return Mismatch{first_difference("tokens", e.tokens, a.tokens)};
  }
  if (e.text && a.text != e.text) {
    return Mismatch{"text is \"" + a.text.value_or("(none)").substr(0, 60) + "\", expected \"" + e.text->substr(0, 60) + "\""};
  }
  if (!e.stop_reason.empty() && a.stop_reason != e.stop_reason) {
    return Mismatch{"stop_reason is " + (a.stop_reason.empty() ? std::string("(none)") : a.stop_reason) + ", expected " + e.stop_reason};
  }
  for (const auto& step : e.logits) {
    if (step.step >= a.logits.size()) {
      return Mismatch{"no logits reported for step " + std::to_string(step.step)};
    }
    const auto& got = a.logits[step.step];
    if (!step.values.empty() && got.size() != step.values.size()) {
      return Mismatch{"step " + std::to_string(step.step) + " has " + std::to_string(got.size()) + " logits, expected " +
               std::to_string(step.values.size()) + " (vocab_size)"};
    }
    for (std::size_t id = 0; id < step.values.size(); ++id) {  // every logit, not only the largest
      const float want = step.values[id];
      if (std::isnan(want)) {  // recorded null: the answer's must be non-finite (null) too
        if (std::isfinite(got[id])) {
          return Mismatch{"step " + std::to_string(step.step) + " logit of token " + std::to_string(id) + " is " +
                          std::to_string(got[id]) + ", expected a non-finite value (null)"};
        }
        continue;
      }
      const double tolerance = e.logit_abs_tolerance + e.logit_rel_tolerance * std::fabs(static_cast<double>(want));
      if (!(std::fabs(static_cast<double>(got[id]) - want) <= tolerance)) {
        return Mismatch{"step " + std::to_string(step.step) + " logit of token " + std::to_string(id) + " is " + std::to_string(got[id]) +
                 ", expected " + std::to_string(want) + " +- " + std::to_string(tolerance)};
      }
    }
    if (e.bit_exact && step.xxh64 && logits_xxh64(got) != *step.xxh64) {
      return Mismatch{"step " + std::to_string(step.step) + " logits have XXH64 " + logits_xxh64(got) + ", expected " + *step.xxh64 +
               " (a bit-exact case: every logit's bits must equal the reference's)"};
    }
    for (const auto& [token, want] : step.top) {
      const double tolerance = e.logit_abs_tolerance + e.logit_rel_tolerance * std::fabs(static_cast<double>(want));
      if (token >= got.size() || !(std::fabs(static_cast<double>(got[token]) - want) <= tolerance)) {
        return Mismatch{"step " + std::to_string(step.step) + " logit of token " + std::to_string(token) + " is " +
                 (token < got.size() ? std::to_string(got[token]) : std::string("missing")) + ", expected " +
                 std::to_string(want) + " +- " + std::to_string(tolerance)};
      }
    }
  }
  return std::nullopt;
}

// ---- the reference ----

Answer rejection(const slm::Status& status) {
  Answer a;
  a.code = std::string(slm::error_info(status.code).name);
  if (status.has_offset()) a.offset = status.offset;
  a.message = status.message;
  return a;
}

Answer acceptance(OpOutput output) {
  return Answer{Answer::Kind::RESULT, true, "", std::nullopt, std::nullopt, "", std::move(output)};
}

slm::Result<std::vector<TensorDigest>> tensor_digests(slm::ByteSource& file, const slm::ModelInfo& info) {
  std::vector<TensorDigest> out;
  std::vector<std::uint8_t> bytes;
  for (const auto& t : info.tensors) {
    bytes.resize(static_cast<std::size_t>(t.byte_size));
    if (auto s = file.read(info.header.data.offset + t.offset, bytes); !s.ok()) return s;
    out.push_back({t.name, std::string(slm::dtype_name(t.dtype)), slm::to_hex(slm::sha256(bytes)), t.shape()});
  }
  return out;
}



}  // namespace slmconf
