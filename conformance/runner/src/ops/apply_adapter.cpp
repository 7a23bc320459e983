// Operation `apply_adapter` (spec/protocol.md section 1.2): the input, then the stack, applied in
// order to the parent (spec/adapters.md sections 8-9); the descendant's identity, tensors and
// lineage (L3), and, when the request has a prompt, the descendant's generation (L4).
#include "generation.h"
#include "op.h"
#include "slmconf/identity_json.h"
#include "slm/adapter.h"
#include "slm/descendant.h"
#include "slm/model_file.h"
#include "slm/sha256.h"

namespace slmconf {

using wire::json;
using wire::ordered;

using Op = Behaviour<ops::ApplyAdapter>;

template <>
slm::Result<ops::ApplyAdapter::Params> Op::read_case_params(const json& expected, CaseInputs& inputs) {
  Params p;
  if (!expected.contains("parent")) return case_error("an adapter case needs a parent input");
  auto parent = inputs.resolve(expected["parent"]);
  if (!parent.ok()) return case_error("parent: " + parent.status().message);
  p.parent = parent.value();
  if (expected.contains("stack")) {
    if (!expected["stack"].is_array()) return case_error("stack is not an array of inputs");
    for (const auto& more : expected["stack"]) {
      auto path = inputs.resolve(more);
      if (!path.ok()) return case_error("stack: " + path.status().message);
      p.stack.push_back(path.value());
    }
  }
  if (expected.contains("request")) {
    if (!expected["request"].is_object()) return case_error("request is not an object");
    auto g = read_generate_params(expected["request"]);
    if (!g.ok()) return case_error("request: " + g.status().message);
    p.generate = g.value();
  }
  return p;
}

template <>
slm::Result<ops::ApplyAdapter::Expect> Op::read_case_expect(const json& expected) {
  const json& expect = expected["expect"];
  Expect e;
  auto model = read_model_expect(expect);
  if (!model.ok()) return model.status();
  e.model = model.value();
  if (expect.contains("lineage")) {
    auto lineage = read_lineage_expect(expect["lineage"]);
    if (!lineage.ok()) return lineage.status();
    e.lineage = lineage.value();
  }
  if (expect.contains("tokens")) {
    auto g = read_generation_expect(expect, has_tag(expected, "bit-exact"));
    if (!g.ok()) return g.status();
    e.generation = g.value();
  }
  return e;
}

template <>
void Op::write_params(const Params& p, ordered& request) {
  request["parent"] = p.parent;
  request["stack"] = p.stack;
  if (p.generate) write_generate_params(*p.generate, request);  // a prompt asks the descendant to generate
}

template <>
slm::Result<ops::ApplyAdapter::Params> Op::read_params(const json& request) {
  Params p;
  if (!request.contains("parent") || !read_string(request, "parent", p.parent)) return field_error("parent", "a string");
  if (request.contains("stack")) {
    if (!request["stack"].is_array()) return field_error("stack", "an array of strings");
    for (const auto& path : request["stack"]) {
      if (!path.is_string()) return field_error("stack", "an array of strings");
      p.stack.push_back(path.get<std::string>());
    }
  }
  if (request.contains("prompt")) {
    auto g = read_generate_params(request);
    if (!g.ok()) return g.status();
    p.generate = g.value();
  }
  return p;
}

template <>
void Op::write_output(const Output& o, ordered& answer) {
  write_model_report(o.model, answer);
  if (o.lineage) answer["lineage"] = lineage_json(*o.lineage);
  if (o.generation) write_generation_output(*o.generation, answer);
}

template <>
ops::ApplyAdapter::Output Op::read_output(const json& answer) {
  Output o;
  o.model = read_model_report(answer);
  if (answer.contains("lineage")) o.lineage = lineage_from_json(answer["lineage"]);
  if (answer.contains("tokens")) o.generation = read_generation_output(answer);
  return o;
}

template <>
Answer Op::reference(const std::string& path, const Params& p) {
  slm::ModelInfo parent;
  auto parent_bytes = slm::read_fully_validated(p.parent, parent);
  if (!parent_bytes.ok()) {
    Answer a = rejection(parent_bytes.status());
    a.step = 0;  // steps: 0 the parent, 1 the input, 2... the stack (spec/protocol.md 1.2)
    return a;
  }
  std::vector<std::vector<std::uint8_t>> adapters;
  std::vector<std::string> paths = {path};
  paths.insert(paths.end(), p.stack.begin(), p.stack.end());
  for (std::size_t k = 0; k < paths.size(); ++k) {
    auto bytes = slm::read_adapter_file(paths[k]);
    if (!bytes.ok()) {
      Answer a = rejection(bytes.status());
      a.step = k + 1;
      return a;
    }
    adapters.push_back(std::move(bytes.value()));
  }
  // The one descendant path of the library (slm::apply_stack), into memory.
  const std::vector<std::span<const std::uint8_t>> stack(adapters.begin(), adapters.end());
  slm::VectorSink descendant;
  std::size_t failed = slm::kNoAdapter;
  auto applied = slm::apply_stack(parent_bytes.value(), parent, stack, &descendant, &failed);
  if (!applied.ok()) {
    Answer a = rejection(applied.status());
    a.step = failed == slm::kNoAdapter ? 0 : failed + 1;
    return a;
  }
  auto info = slm::validate_model(descendant.bytes());  // the tensors' offsets, for their digests
  if (!info.ok()) return rejection(info.status());
  Output out;
  out.model.identity = applied->identity;
  slm::SpanSource bytes(descendant.bytes());
  auto tensors = tensor_digests(bytes, info.value());
  if (!tensors.ok()) return rejection(tensors.status());
  out.model.tensors = std::move(tensors.value());
  out.lineage = applied->lineage;
  if (p.generate) {
    auto loaded = slm::load_model(std::move(descendant.bytes()));
    if (!loaded.ok()) return rejection(loaded.status());
    GenerationOutput g;
    if (auto s = generate_into(loaded.value(), *p.generate, g); !s.ok()) return rejection(s);
    out.generation = std::move(g);
  }
  return acceptance(std::move(out));
}

template <>
Judgement Op::judge(const Expect& e, const Output& o, Level level) {
  Judgement j;
  j.l3 = model_mismatch(e.model, o.model);
  if (!j.l3 && e.lineage) j.l3 = lineage_mismatch(o.lineage, *e.lineage);
  if (level >= Level::L4 && e.generation) {
    j.l4 = o.generation ? generation_mismatch(*e.generation, *o.generation)
                        : Mismatch{"no generation reported for the descendant"};
  }
  return j;
}

template <>
std::string Op::describe(const Expect& e) {
  return e.generation ? "tokens [" + tokens_text(e.generation->tokens) + "]" : "accept";
}

template <>
std::string Op::describe(const Output& o) {
  return o.generation ? "tokens [" + tokens_text(o.generation->tokens) + "]" : "accept";
}

template <>
std::vector<std::string> Op::other_inputs(const Params& p) {
  std::vector<std::string> paths = p.stack;
  paths.push_back(p.parent);
  return paths;
}

template <>
std::optional<std::string> Op::oneshot_arguments(const Params&) {
  return std::nullopt;
}

}  // namespace slmconf
