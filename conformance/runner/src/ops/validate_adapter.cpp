// Operation `validate_adapter` (spec/protocol.md section 1.2): the input is an adapter, checked
// (A1-A36 of spec/adapters.md) against a fully validated parent model.
#include "op.h"
#include "slm/adapter.h"
#include "slm/model_file.h"

namespace slmconf {

using wire::json;
using wire::ordered;

using Op = Behaviour<ops::ValidateAdapter>;

template <>
slm::Result<ops::ValidateAdapter::Params> Op::read_case_params(const json& expected, CaseInputs& inputs) {
  if (!expected.contains("parent")) return case_error("an adapter case needs a parent input");
  auto parent = inputs.resolve(expected["parent"]);
  if (!parent.ok()) return case_error("parent: " + parent.status().message);
  return Params{parent.value()};
}

template <>
slm::Result<ops::ValidateAdapter::Expect> Op::read_case_expect(const json&) {  // an acceptance is all there is
  return Expect{};
}

template <>
void Op::write_params(const Params& p, ordered& request) {
  request["parent"] = p.parent;
}

template <>
slm::Result<ops::ValidateAdapter::Params> Op::read_params(const json& request) {
  Params p;
  if (!request.contains("parent") || !read_string(request, "parent", p.parent)) return field_error("parent", "a string");
  return p;
}

template <>
void Op::write_output(const Output&, ordered&) {}

template <>
ops::ValidateAdapter::Output Op::read_output(const json&) {
  return {};
}

template <>
Answer Op::reference(const std::string& path, const Params& p) {
  slm::ModelInfo parent;
  auto parent_bytes = slm::read_fully_validated(p.parent, parent);
  if (!parent_bytes.ok()) return rejection(parent_bytes.status());
  auto adapter = slm::read_adapter_file(path);
  if (!adapter.ok()) return rejection(adapter.status());
  if (auto result = slm::validate_adapter(adapter.value(), parent); !result.ok()) return rejection(result.status());
  return acceptance(Output{});
}

template <>
Judgement Op::judge(const Expect&, const Output&, Level) {
  return {};
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
std::vector<std::string> Op::other_inputs(const Params& p) {
  return {p.parent};
}

template <>
std::optional<std::string> Op::oneshot_arguments(const Params&) {
  return std::nullopt;
}

}  // namespace slmconf
