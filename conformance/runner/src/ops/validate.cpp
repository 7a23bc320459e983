// Operation `validate` (spec/protocol.md section 1; levels L1-L3): the input is a model file,
// validated in the check order of format.md, fully (content digest) when the case asks.
#include "op.h"
#include "slm/sha256.h"
#include "slm/validate.h"

namespace slmconf {

using wire::json;
using wire::ordered;

using Op = Behaviour<ops::Validate>;

template <>
slm::Result<ops::Validate::Params> Op::read_case_params(const json& expected, CaseInputs&) {
  Params p;
  if (expected.contains("options")) {
    const json& o = expected["options"];
    if (!o.is_object() || !read_bool(o, "verify_digest", p.verify_digest)) return case_error("options.verify_digest is not true or false");
  }
  return p;
}

template <>
slm::Result<ops::Validate::Expect> Op::read_case_expect(const json& expected) {
  auto model = read_model_expect(expected["expect"]);
  if (!model.ok()) return model.status();
  return Expect{model.value()};
}

template <>
void Op::write_params(const Params& p, ordered& request) {
  request["verify_digest"] = p.verify_digest;
}

template <>
slm::Result<ops::Validate::Params> Op::read_params(const json& request) {
  Params p;
  if (!read_bool(request, "verify_digest", p.verify_digest)) return field_error("verify_digest", "true or false");
  return p;
}

template <>
void Op::write_output(const Output& o, ordered& answer) {
  write_model_report(o.model, answer);
}

template <>
ops::Validate::Output Op::read_output(const json& answer) {
  return {read_model_report(answer)};
}

template <>
Answer Op::reference(const std::string& path, const Params& p) {
  auto source = slm::FileSource::open(path);
  if (!source.ok()) return rejection(source.status());
  auto info = slm::validate_model(*source.value(), {.verify_digest = p.verify_digest});
  if (!info.ok()) return rejection(info.status());
  Output out;
  out.model.identity = info->header.identity;
  // A digest per tensor lets the runner check what the runtime loaded, not just what it read.
  auto tensors = tensor_digests(*source.value(), info.value());
  if (!tensors.ok()) {
    Answer errored;
    errored.kind = Answer::Kind::ERRORED;
    errored.message = tensors.status().message;
    return errored;
  }
  out.model.tensors = std::move(tensors.value());
  return acceptance(std::move(out));
}

template <>
Judgement Op::judge(const Expect& e, const Output& o, Level) {
  Judgement j;
  j.l3 = model_mismatch(e.model, o.model);
  return j;
}

template <>
std::string Op::describe(const Expect&) {
  return "accept";
}

template <>
std::string Op::describe(const Output&) {
  return "accept";
}

template <>
std::vector<std::string> Op::other_inputs(const Params&) {
  return {};
}

template <>
std::optional<std::string> Op::oneshot_arguments(const Params& p) {
  return p.verify_digest ? "--digest" : "";
}

}  // namespace slmconf
