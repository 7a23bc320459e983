// Operation `eval` (spec/protocol.md section 1.3, L5): the input model, through its adapters, runs
// an eval set (spec/eval.md); the answer is the sidecar's reproducible part, judged field by field.
#include "op.h"
#include "slm/descendant.h"
#include "slmeval/eval.h"
#include "slmconf/reference_runtime.h"

namespace slmconf {

using wire::json;
using wire::ordered;

using Op = Behaviour<ops::Eval>;

namespace {

// The first place two JSON values differ: "results[2].output is \"5\", expected \"4\"".
std::optional<std::string> first_difference(const json& got, const json& want, const std::string& path) {
  const auto shown = [](const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
  };
  const std::string here = path.empty() ? "sidecar" : path;
  if (got.type() != want.type()) return here + " is " + shown(got) + ", expected " + shown(want);
  if (want.is_object()) {
    for (const auto& [k, v] : want.items()) {
      const std::string at = path.empty() ? k : path + "." + k;
      if (!got.contains(k)) return at + " is missing, expected " + shown(v);
      if (auto d = first_difference(got[k], v, at)) return d;
    }
    for (const auto& [k, v] : got.items()) {
      if (!want.contains(k)) return (path.empty() ? k : path + "." + k) + " is not expected (" + shown(v) + ")";
    }
    return std::nullopt;
  }
  if (want.is_array()) {
    for (std::size_t i = 0; i < want.size() && i < got.size(); ++i) {
      // results are named by their case id, the clearest handle for a reader
      std::string at = here + "[" + std::to_string(i) + "]";
      if (want[i].is_object() && want[i].contains("id") && want[i]["id"].is_string()) at = here + "[" + want[i]["id"].get<std::string>() + "]";
      if (auto d = first_difference(got[i], want[i], at)) return d;
    }
    if (got.size() != want.size()) return here + " has " + std::to_string(got.size()) + " entries, expected " + std::to_string(want.size());
    return std::nullopt;
  }
  if (got != want) return here + " is " + shown(got) + ", expected " + shown(want);
  return std::nullopt;
}

std::optional<std::string> optional_input(const json& expected, const char* key, CaseInputs& inputs, slm::Status& error) {
  if (!expected.contains(key)) return std::nullopt;
  auto path = inputs.resolve(expected[key]);
  if (!path.ok()) {
    error = case_error(std::string(key) + ": " + path.status().message);
    return std::nullopt;
  }
  return path.value();
}

}  // namespace

template <>
slm::Result<ops::Eval::Params> Op::read_case_params(const json& expected, CaseInputs& inputs) {
  Params p;
  if (!expected.contains("set")) return case_error("an eval case needs a set input");
  auto set = inputs.resolve(expected["set"]);
  if (!set.ok()) return case_error("set: " + set.status().message);
  p.set = set.value();
  if (expected.contains("adapters")) {
    if (!expected["adapters"].is_array()) return case_error("adapters is not an array of inputs");
    for (const auto& a : expected["adapters"]) {
      auto path = inputs.resolve(a);
      if (!path.ok()) return case_error("adapters: " + path.status().message);
      p.adapters.push_back(path.value());
    }
  }
  slm::Status error = slm::Status::success();
  p.policy = optional_input(expected, "policy", inputs, error);
  if (!error.ok()) return error;
  p.baseline = optional_input(expected, "baseline", inputs, error);
  if (!error.ok()) return error;
  return p;
}

template <>
slm::Result<ops::Eval::Expect> Op::read_case_expect(const json& expected) {
  const json& e = expected["expect"];
  if (!e.contains("sidecar") || !e["sidecar"].is_object()) return case_error("expect.sidecar (the reproducible part) is missing");
  auto canonical = slmeval::canonicalize(e["sidecar"].dump());
  if (!canonical.ok()) return case_error("expect.sidecar: " + canonical.status().message);
  return Expect{canonical.value()};
}

template <>
void Op::write_params(const Params& p, ordered& request) {
  request["set"] = p.set;
  request["adapters"] = p.adapters;
  request["policy"] = p.policy ? ordered(*p.policy) : ordered(nullptr);
  request["baseline"] = p.baseline ? ordered(*p.baseline) : ordered(nullptr);
}

template <>
slm::Result<ops::Eval::Params> Op::read_params(const json& request) {
  Params p;
  if (!request.contains("set") || !read_string(request, "set", p.set)) return field_error("set", "a string");
  if (request.contains("adapters")) {
    if (!request["adapters"].is_array()) return field_error("adapters", "an array of strings");
    for (const auto& a : request["adapters"]) {
      if (!a.is_string()) return field_error("adapters", "an array of strings");
      p.adapters.push_back(a.get<std::string>());
    }
  }
  for (const auto& [key, out] : {std::pair{"policy", &p.policy}, std::pair{"baseline", &p.baseline}}) {
    if (!request.contains(key) || request[key].is_null()) continue;
    if (!request[key].is_string()) return field_error(key, "a string or null");
    *out = request[key].get<std::string>();
  }
  return p;
}

template <>
void Op::write_output(const Output& o, ordered& answer) {
  answer["sidecar"] = ordered::parse(o.sidecar);
}

template <>
ops::Eval::Output Op::read_output(const json& answer) {
  if (!answer.contains("sidecar") || !answer["sidecar"].is_object()) return {};
  auto canonical = slmeval::canonicalize(answer["sidecar"].dump());
  return {canonical.ok() ? canonical.value() : std::string()};
}

template <>
Answer Op::reference(const std::string& path, const Params& p) {
  auto set = slmeval::read_set(p.set);
  if (!set.ok()) return rejection(set.status());
  slmeval::Policy policy;
  if (p.policy) {
    auto text = slmeval::read_bounded(*p.policy, slmeval::kMaxPolicyBytes, slm::ErrorCode::E_EVAL_POLICY);
    if (!text.ok()) return rejection(text.status());
    auto parsed = slmeval::parse_policy(text.value(), set.value());
    if (!parsed.ok()) return rejection(parsed.status());
    policy = parsed.value();
  }
  std::optional<slmeval::Baseline> baseline;
  if (p.baseline) {
    auto text = slmeval::read_bounded(*p.baseline, slmeval::kMaxSidecarBytes, slm::ErrorCode::E_EVAL_SIDECAR);
    if (!text.ok()) return rejection(text.status());
    auto view = slmeval::parse_sidecar(text.value());
    if (!view.ok()) return rejection(view.status());
    baseline = view->as_baseline;
  }
  auto loaded = slm::load_descendant(path, p.adapters);
  if (!loaded.ok()) return rejection(loaded.status());
  auto evidence = slmeval::run_eval(loaded->model, loaded->lineage, set.value(), policy, baseline, nullptr, reference_threads());
  if (!evidence.ok()) return rejection(evidence.status());
  return acceptance(Output{slmeval::reproducible_canonical(evidence.value())});
}

template <>
Judgement Op::judge(const Expect& e, const Output& o, Level level) {
  Judgement j;
  if (level < Level::L5 || o.sidecar == e.sidecar) return j;
  if (o.sidecar.empty()) {
    j.l5 = Mismatch{"no sidecar reported"};
    return j;
  }
  const auto d = first_difference(json::parse(o.sidecar), json::parse(e.sidecar), "");
  j.l5 = Mismatch{d.value_or("sidecar differs")};
  return j;
}

template <>
std::string Op::describe(const Expect&) {
  return "sidecar";
}

template <>
std::string Op::describe(const Output& o) {
  return o.sidecar.empty() ? "no sidecar" : "sidecar";
}

template <>
std::vector<std::string> Op::other_inputs(const Params& p) {
  std::vector<std::string> paths = p.adapters;
  paths.push_back(p.set);
  return paths;
}

template <>
std::optional<std::string> Op::oneshot_arguments(const Params&) {
  return std::nullopt;
}

}  // namespace slmconf
