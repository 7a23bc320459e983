// Operation `generate` (spec/protocol.md section 1.1, L4): the model continues a prompt
// (spec/runtime.md); tokens exactly, logits of the first steps within the case's tolerance.
#include "generation.h"
#include "op.h"
#include "slm/model_file.h"

namespace slmconf {

using wire::json;
using wire::ordered;

using Op = Behaviour<ops::Generate>;

template <>
slm::Result<ops::Generate::Params> Op::read_case_params(const json& expected, CaseInputs&) {
  if (!expected.contains("request") || !expected["request"].is_object()) return case_error("a generate case needs a request object");
  auto g = read_generate_params(expected["request"]);
  if (!g.ok()) return case_error("request: " + g.status().message);
  return Params{g.value()};
}

template <>
slm::Result<ops::Generate::Expect> Op::read_case_expect(const json& expected) {
  auto g = read_generation_expect(expected["expect"], has_tag(expected, "bit-exact"));
  if (!g.ok()) return g.status();
  return Expect{g.value()};
}

template <>
void Op::write_params(const Params& p, ordered& request) {
  write_generate_params(p.generate, request);
}

template <>
slm::Result<ops::Generate::Params> Op::read_params(const json& request) {
  auto g = read_generate_params(request);
  if (!g.ok()) return g.status();
  return Params{g.value()};
}

template <>
void Op::write_output(const Output& o, ordered& answer) {
  write_generation_output(o.generation, answer);
}

template <>
ops::Generate::Output Op::read_output(const json& answer) {
  return {read_generation_output(answer)};
}

template <>
Answer Op::reference(const std::string& path, const Params& p) {
  auto model = slm::load_model_file(path);
  if (!model.ok()) return rejection(model.status());
  GenerationOutput out;
  if (auto s = generate_into(model.value(), p.generate, out); !s.ok()) return rejection(s);
  return acceptance(Output{std::move(out)});
}

template <>
Judgement Op::judge(const Expect& e, const Output& o, Level level) {
  Judgement j;
  if (level >= Level::L4) j.l4 = generation_mismatch(e.generation, o.generation);
  return j;
}

template <>
std::string Op::describe(const Expect& e) {
  return "tokens [" + tokens_text(e.generation.tokens) + "]";
}

template <>
std::string Op::describe(const Output& o) {
  return "tokens [" + tokens_text(o.generation.tokens) + "]";
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
