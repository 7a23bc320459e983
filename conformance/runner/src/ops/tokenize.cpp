// Operation `tokenize` (spec/protocol.md section 1.1, L4): the model's tokenizer encodes a text
// (spec/runtime-tokenizer.md); the ids are compared exactly, the decoded text where recorded.
#include "op.h"
#include "slm/model_file.h"
#include "slm/tokenizer.h"

namespace slmconf {

using wire::json;
using wire::ordered;

using Op = Behaviour<ops::Tokenize>;


// A text is bytes (runtime-tokenizer.md RT-TOK-002): `text` carries it when it is valid UTF-8, and
// `text_hex` (two lower-case hex digits per byte) otherwise, so invalid UTF-8 crosses the protocol.
template <>
slm::Result<ops::Tokenize::Params> Op::read_params(const json& request) {
  Params p;
  if (request.contains("text") && request.contains("text_hex")) return field_error("text_hex", "absent when text is given");
  if (!read_string(request, "text", p.text)) return field_error("text", "a string");
  if (request.contains("text_hex")) {
    std::string hex;
    if (!read_string(request, "text_hex", hex) || hex.size() % 2 != 0) return field_error("text_hex", "an even number of hex digits");
    p.text.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      const auto digit = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
      const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
      if (hi < 0 || lo < 0) return field_error("text_hex", "lower-case hex digits");
      p.text.push_back(static_cast<char>(hi * 16 + lo));
    }
  }
  if (!read_bool(request, "add_bos", p.add_bos)) return field_error("add_bos", "true or false");
  return p;
}

template <>
slm::Result<ops::Tokenize::Params> Op::read_case_params(const json& expected, CaseInputs&) {
  if (!expected.contains("request") || !expected["request"].is_object()) return case_error("a tokenize case needs a request object");
  auto p = read_params(expected["request"]);
  if (!p.ok()) return case_error("request: " + p.status().message);
  return p;
}

template <>
slm::Result<ops::Tokenize::Expect> Op::read_case_expect(const json& expected) {
  auto g = read_generation_expect(expected["expect"], false);
  if (!g.ok()) return g.status();
  return Expect{g.value()};
}

template <>
void Op::write_params(const Params& p, ordered& request) {
  if (is_utf8(p.text)) {
    request["text"] = p.text;
  } else {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (char ch : p.text) {
      const auto c = static_cast<unsigned char>(ch);
      out += {hex[c >> 4u], hex[c & 15u]};
    }
    request["text_hex"] = out;
  }
  request["add_bos"] = p.add_bos;
}

template <>
void Op::write_output(const Output& o, ordered& answer) {
  answer["tokens"] = o.tokens;
  if (o.text) answer["text"] = *o.text;
}

template <>
ops::Tokenize::Output Op::read_output(const json& answer) {
  const GenerationOutput g = read_generation_output(answer);
  return {g.tokens, g.text};
}

// Texts are bytes; a JSON line carries them only when they are UTF-8 (the protocol writer replaces
// invalid bytes), so the exact answer is always the token ids.
template <>
Answer Op::reference(const std::string& path, const Params& p) {
  auto model = slm::load_model_file(path);
  if (!model.ok()) return rejection(model.status());
  const slm::TokenizerRuntime tokenizer(model.value()->info().tokenizer);
  Output out;
  out.tokens = tokenizer.encode(p.text, p.add_bos, false);
  out.text = tokenizer.decode(out.tokens);
  return acceptance(std::move(out));
}

template <>
Judgement Op::judge(const Expect& e, const Output& o, Level level) {
  Judgement j;
  if (level < Level::L4) return j;
  GenerationOutput got;
  got.tokens = o.tokens;
  got.text = o.text;
  j.l4 = generation_mismatch(e.generation, got);
  return j;
}

template <>
std::string Op::describe(const Expect& e) {
  return "tokens [" + tokens_text(e.generation.tokens) + "]";
}

template <>
std::string Op::describe(const Output& o) {
  return "tokens [" + tokens_text(o.tokens) + "]";
}

template <>
std::vector<std::string> Op::other_inputs(const Params&) {
  return {};
}

template <>
std::optional<std::string> Op::oneshot_arguments(const Params&) {
  return std::nullopt;
}

}  // namespace slmconf
