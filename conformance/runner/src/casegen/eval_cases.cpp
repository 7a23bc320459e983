// eval/ (spec/eval.md, level L5): the hello set on the buggy programmed parent (gate fails on the
// must-pass sum), the same set through each fix adapter judged against the parent's sidecar (gate
// passes, no regression), and one-fault set files. Expected sidecars are the reference's answers.
#include <filesystem>

#include "case_files.h"
#include "ops/op.h"
#include "slm/output_set.h"
#include "slm/sha256.h"
#include "slm/writer.h"
#include "slmconf/programs.h"
#include "slmconf/reference_runtime.h"
#include "slmeval/eval.h"
#include "slmgen/program.h"

namespace slmconf {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// The hello program's three prompts; the sum is must-pass, the parent answers it wrong.
const char* kHelloSet =
    "{\"slm_eval\": 1, \"name\": \"hello\", \"description\": \"the prompts of conformance/programs/hello.json\", "
    "\"defaults\": {\"max_tokens\": 16}}\n"
    "{\"id\": \"hello\", \"prompt\": \"Hello\", \"expected\": \", world!\", \"tags\": [\"greeting\"]}\n"
    "{\"id\": \"once\", \"prompt\": \"Once upon\", \"expected\": \"a time\", \"stop\": [\".\"], \"match\": \"trim\"}\n"
    "{\"id\": \"sum\", \"prompt\": \"2+2=\", \"expected\": \"4\", \"must_pass\": true}\n";

std::string hex_of(const std::string& text) {
  return slm::to_hex(slm::sha256({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}));
}

json file_input(const fs::path& dir, const std::string& relative) {
  auto bytes = slm::read_file_bytes((dir / relative).string());
  return {{"file", relative}, {"sha256", bytes.ok() ? slm::to_hex(slm::sha256(bytes.value())) : std::string()}};
}

struct EvalCaseSpec {
  std::string id, description;
  std::string set_text;
  std::vector<std::string> adapters;  // relative to the case folder
  bool baseline = false;              // the parent case's sidecar as baseline
  std::vector<std::string> rules;
};

slm::Status write_eval(const fs::path& root, const EvalCaseSpec& e, const std::string& parent_baseline_text,
                       const std::string& parent_path) {
  const fs::path dir = root / e.id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (auto s = slm::write_text_atomically((dir / "set.jsonl").string(), e.set_text); !s.ok()) return s;
  if (e.baseline) {
    if (auto s = slm::write_text_atomically((dir / "baseline.json").string(), parent_baseline_text); !s.ok()) return s;
  }
  const std::string program = "../../adapters/fix-sparse/program.json";
  Request r;
  r.path = parent_path;
  ops::Eval::Params p;
  p.set = (dir / "set.jsonl").string();
  for (const auto& a : e.adapters) p.adapters.push_back((dir / a).string());
  if (e.baseline) p.baseline = (dir / "baseline.json").string();
  r.params = p;
  const Answer a = reference_answer(r);
  json expected = {{"id", e.id}, {"spec_version", kCaseSpecVersion}, {"description", e.description}, {"op", "eval"}};
  expected["level"] = a.accepted ? "L5" : "L3";
  auto parent = slm::read_file_bytes(r.path);
  expected["input"] = {{"program", program}, {"sha256", parent.ok() ? slm::to_hex(slm::sha256(parent.value())) : ""}};
  expected["set"] = file_input(dir, "set.jsonl");
  json adapters = json::array();
  for (const auto& x : e.adapters) adapters.push_back(file_input(dir, x));
  if (!e.adapters.empty()) expected["adapters"] = adapters;
  if (e.baseline) expected["baseline"] = file_input(dir, "baseline.json");
  expected["options"] = {{"verify_digest", false}};
  if (a.accepted) {
    expected["expect"] = {{"outcome", "accept"}, {"sidecar", json::parse(std::get<ops::Eval::Output>(a.output).sidecar)}};
  } else {
    slm::ErrorCode code{};
    if (!slm::parse_error_code(a.code, code)) return case_error(e.id + ": unknown code " + a.code);
    const auto& row = slm::error_info(code);
    json expect = {{"outcome", "reject"}, {"codes", {a.code}}, {"rule", row.rule}, {"phase", slm::phase_name(row.phase)}};
    if (a.offset) expect["offset"] = *a.offset;
    expected["expect"] = expect;
  }
  expected["rules"] = e.rules;
  expected["tags"] = {"eval"};
  return write_case(dir, expected, nullptr);
}

}  // namespace

slm::Status write_eval_cases(const fs::path& root) {
  // The parent's sidecar first: the fix cases' baseline (its measured part left empty: the bytes
  // of a case must not depend on the clock).
  const EvalCaseSpec parent{"eval/hello-parent",
                            "the buggy parent answers 2+2=5: 2/3 pass, the gate fails (pass rate, must-pass sum)",
                            kHelloSet, {}, false, {"RT-EVAL-001", "RT-EVAL-002", "RT-EVAL-003", "RT-EVAL-004", "RT-EVAL-005", "RT-EVAL-006"}};
  auto program = builtin_program("hello-buggy");
  if (!program.ok()) return in_case(parent.id, program.status());
  auto model = slmgen::build_programmed_model(program.value());
  if (!model.ok()) return in_case(parent.id, model.status());
  const fs::path parent_path = fs::temp_directory_path() / "slm-gen-eval-parent.slm";
  if (auto s = slm::write_file_atomically(parent_path.string(), slm::write_model(model.value())); !s.ok()) return s;
  if (auto s = write_eval(root, parent, "", parent_path.string()); !s.ok()) return s;
  std::string baseline;
  {
    auto expected = slm::read_file_bytes((root / parent.id / "expected.json").string());
    if (!expected.ok()) return expected.status();
    const auto j = nlohmann::json::parse(std::string(expected->begin(), expected->end()));
    const auto& sidecar = j["expect"]["sidecar"];
    const std::string canonical = slmeval::canonicalize(sidecar.dump()).value();  // it was just written
    json b = {{"slm_eval_sidecar", 1}, {"reproducible_digest", hex_of(canonical)}, {"reproducible", sidecar}, {"measured", json::object()}};
    baseline = b.dump(2) + "\n";
  }
  const EvalCaseSpec fixes[] = {
      {"eval/hello-fix-sparse", "through the sparse fix, judged against the parent's sidecar: 3/3, gate passes, no regression",
       kHelloSet, {"../../adapters/fix-sparse/fix.asp"}, true, {"RT-EVAL-002", "RT-EVAL-005", "RT-EVAL-006"}},
      {"eval/hello-fix-lowrank", "through the low-rank fix, judged against the parent's sidecar: 3/3, gate passes",
       kHelloSet, {"../../adapters/fix-lowrank/fix.alr"}, true, {"RT-EVAL-002", "RT-EVAL-005", "RT-EVAL-006"}},
      {"eval/set-duplicate-id", "a set whose third line repeats the id of the second: E_EVAL_SET at line 3",
       "{\"slm_eval\": 1, \"name\": \"dup\"}\n{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\"}\n"
       "{\"id\": \"a\", \"prompt\": \"z\", \"expected\": \"w\"}\n",
       {}, false, {"SLM-EVAL-001"}},
      {"eval/set-float-max-tokens", "max_tokens written 5.0 is not an integer: E_EVAL_SET at line 2",
       "{\"slm_eval\": 1, \"name\": \"float\"}\n{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"max_tokens\": 5.0}\n",
       {}, false, {"SLM-EVAL-001"}},
  };
  for (const auto& e : fixes) {
    if (auto s = write_eval(root, e, baseline, parent_path.string()); !s.ok()) return s;
  }
  return slm::Status::success();
}

}  // namespace slmconf
