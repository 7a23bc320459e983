// eval/ (spec/eval.md, level L5). Sets are written from the programs they test (one place for
// each prompt and answer); expected sidecars are the reference's answers.
//  - hello-*: the three prompts of hello.json on the buggy parent (gate fails), through each fix
//    against the parent's sidecar (gate passes, no regression), sampled, max_tokens boundaries, a
//    prompt longer than the context, a resource ceiling;
//  - additions-*: the 100 single-digit additions on additions-buggy (the ten 7+b wrong), in f32,
//    q8_0 and q4_0, through a sparse and a low-rank fix;
//  - utf8-cut: max_tokens cuts a multi-byte character (output_hex);
//  - set-*: one-fault set files, each with its code, line and offset.
#include <filesystem>

#include "case_files.h"
#include "ops/op.h"
#include "slm/output_set.h"
#include "slm/sha256.h"
#include "slm/writer.h"
#include "slmconf/program_json.h"
#include "slmconf/programs.h"
#include "slmconf/recipe_json.h"
#include "slmconf/reference_runtime.h"
#include "slmeval/eval.h"
#include "slmgen/fix_adapter.h"
#include "slmgen/model_gen.h"
#include "slmgen/program.h"
#include "slmgen/recipe.h"

namespace slmconf {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::string sha256_of(const std::string& text) {
  return slm::to_hex(slm::sha256({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}));
}

json file_input(const fs::path& dir, const std::string& relative) {
  auto bytes = slm::read_file_bytes((dir / relative).string());
  return {{"file", relative}, {"sha256", bytes.ok() ? slm::to_hex(slm::sha256(bytes.value())) : std::string()}};
}

// A set of one case per program entry: id, the prompt, the programmed continuation.
std::string set_of_program(const std::string& name, const std::string& description, const slmgen::ModelProgram& program,
                           const json& defaults, const std::vector<std::string>& must_pass, const std::string& id_prefix) {
  std::string out = json{{"slm_eval", 1}, {"name", name}, {"description", description}, {"defaults", defaults}}.dump() + "\n";
  for (std::size_t i = 0; i < program.entries.size(); ++i) {
    const auto& e = program.entries[i];
    const std::string id = id_prefix + std::to_string(i);
    json c = {{"id", id}, {"prompt", e.prompt}, {"expected", e.continuation}};
    if (std::find(must_pass.begin(), must_pass.end(), id) != must_pass.end()) c["must_pass"] = true;
    out += c.dump() + "\n";
  }
  return out;
}

// The model an eval case runs: a program file or a recipe, written where the reference reads it.
struct Parent {
  json input;            // the case's input object (relative to the case folder)
  std::string path;      // the materialised model, for the reference
};

struct EvalCaseSpec {
  std::string id, description;
  std::string set_text;
  const Parent* parent = nullptr;
  std::vector<std::pair<std::string, Bytes>> adapters;  // written into the case folder, in order
  std::optional<std::string> policy;                   // policy.json text
  std::optional<std::string> baseline;                 // baseline.json text
  std::vector<std::string> rules;
  bool bit_exact = false;
  bool set_absent = false;  // the set file does not exist (set_text unused)
};

slm::Status write_eval(const fs::path& root, const EvalCaseSpec& e, std::string* reproducible = nullptr) {
  const fs::path dir = root / e.id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string set_name = e.set_absent ? "missing.jsonl" : "set.jsonl";
  if (!e.set_absent) {
    if (auto s = slm::write_text_atomically((dir / set_name).string(), e.set_text); !s.ok()) return s;
  }
  Request r;
  r.path = e.parent->path;
  ops::Eval::Params p;
  p.set = (dir / set_name).string();
  for (const auto& [name, bytes] : e.adapters) {
    if (auto s = slm::write_file_atomically((dir / name).string(), bytes); !s.ok()) return s;
    p.adapters.push_back((dir / name).string());
  }
  if (e.policy) {
    if (auto s = slm::write_text_atomically((dir / "policy.json").string(), *e.policy); !s.ok()) return s;
    p.policy = (dir / "policy.json").string();
  }
  if (e.baseline) {
    if (auto s = slm::write_text_atomically((dir / "baseline.json").string(), *e.baseline); !s.ok()) return s;
    p.baseline = (dir / "baseline.json").string();
  }
  r.params = p;
  const Answer a = reference_answer(r);
  json expected = {{"id", e.id}, {"spec_version", kCaseSpecVersion}, {"description", e.description}, {"op", "eval"}};
  expected["level"] = a.accepted ? "L5" : "L3";
  expected["input"] = e.parent->input;
  expected["set"] = e.set_absent ? json{{"absent", set_name}} : file_input(dir, set_name);
  if (!e.adapters.empty()) {
    json adapters = json::array();
    for (const auto& x : e.adapters) adapters.push_back(file_input(dir, x.first));
    expected["adapters"] = adapters;
  }
  if (e.policy) expected["policy"] = file_input(dir, "policy.json");
  if (e.baseline) expected["baseline"] = file_input(dir, "baseline.json");
  expected["options"] = {{"verify_digest", false}};
  if (a.accepted) {
    const std::string& sidecar = std::get<ops::Eval::Output>(a.output).sidecar;
    if (reproducible) *reproducible = sidecar;
    expected["expect"] = {{"outcome", "accept"}, {"sidecar", json::parse(sidecar)}};
  } else {
    slm::ErrorCode code{};
    if (!slm::parse_error_code(a.code, code)) return case_error(e.id + ": unknown code " + a.code);
    const auto& row = slm::error_info(code);
    json expect = {{"outcome", "reject"}, {"codes", {a.code}}, {"rule", row.rule}, {"phase", slm::phase_name(row.phase)}};
    expect["offset"] = a.offset ? json(*a.offset) : json(nullptr);
    expected["expect"] = expect;
  }
  expected["rules"] = e.rules;
  expected["tags"] = e.bit_exact ? json{"eval", "bit-exact"} : json{"eval"};
  return write_case(dir, expected, nullptr);
}

// A sidecar file around a reproducible part (its measured part empty: a case's bytes must not
// depend on the clock), to serve as a baseline.
std::string baseline_of(const std::string& reproducible) {
  return json{{"slm_eval_sidecar", 1}, {"reproducible_digest", sha256_of(reproducible)}, {"reproducible", json::parse(reproducible)},
              {"measured", json::object()}}
             .dump(2) +
         "\n";
}

// Writes `program` as a case input (program.json in `dir`) and materialises its model.
slm::Result<Parent> program_parent(const fs::path& root, const std::string& case_id, const slmgen::ModelProgram& program,
                                   Bytes* model_bytes = nullptr) {
  const fs::path dir = root / case_id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (auto s = slm::write_text_atomically((dir / "program.json").string(), program_to_json_text(program)); !s.ok()) return s;
  auto model = slmgen::build_programmed_model(program);
  if (!model.ok()) return in_case(case_id, model.status());
  const Bytes bytes = slm::write_model(model.value());
  const fs::path path = fs::temp_directory_path() / ("slm-gen-eval-" + sha256_of(std::string(bytes.begin(), bytes.end())).substr(0, 16) + ".slm");
  if (auto s = slm::write_file_atomically(path.string(), bytes); !s.ok()) return s;
  if (model_bytes) *model_bytes = bytes;
  return Parent{json{{"program", "program.json"}, {"sha256", slm::to_hex(slm::sha256(bytes))}}, path.string()};
}

// The same parent seen from another case folder.
Parent shared(const Parent& p, const std::string& owner_id) {
  Parent out = p;
  out.input["program"] = "../" + fs::path(owner_id).filename().string() + "/program.json";
  return out;
}

slm::Result<Bytes> fix_adapter(const Bytes& parent, const slmgen::ModelProgram& fixed, slm::AdapterKind kind) {
  auto target = slmgen::build_programmed_model(fixed);
  if (!target.ok()) return target.status();
  auto fix = slmgen::make_fix_adapter(parent, target.value(), kind);
  if (!fix.ok()) return fix.status();
  return slm::write_adapter(fix.value());
}

}  // namespace

slm::Status write_eval_cases(const fs::path& root) {
  const std::vector<std::string> all = {"RT-EVAL-001", "RT-EVAL-002", "RT-EVAL-003", "RT-EVAL-004", "RT-EVAL-005", "RT-EVAL-006"};
  // ---- hello ----
  auto hello = builtin_program("hello"), hello_buggy = builtin_program("hello-buggy");
  if (!hello.ok() || !hello_buggy.ok()) return case_error("eval: the hello programs do not parse");
  Bytes hello_parent_bytes;
  auto hp = program_parent(root, "eval/hello-parent", hello_buggy.value(), &hello_parent_bytes);
  if (!hp.ok()) return hp.status();
  const Parent hello_parent = hp.value();
  const Parent hello_shared = shared(hello_parent, "eval/hello-parent");
  // The hello set: the program's prompts; "once" stops at "." and matches by trim, the sum is must-pass.
  std::string hello_set = json{{"slm_eval", 1}, {"name", "hello"}, {"description", "the prompts of conformance/programs/hello.json"},
                               {"defaults", {{"max_tokens", 16}}}}.dump() + "\n";
  for (const auto& entry : hello.value().entries) {
    json c = {{"id", entry.prompt == "Hello" ? "hello" : entry.prompt == "Once upon" ? "once" : "sum"}, {"prompt", entry.prompt},
              {"expected", entry.continuation}};
    if (entry.prompt == "Once upon") {  // " a time." stopped at "." and compared trimmed
      c["expected"] = "a time";
      c["stop"] = {"."};
      c["match"] = "trim";
    }
    if (entry.prompt == "2+2=") c["must_pass"] = true;
    hello_set += c.dump() + "\n";
  }
  std::string hello_parent_sidecar, hello_fix_sidecar;
  if (auto s = write_eval(root, {"eval/hello-parent", "the buggy parent answers 2+2=5: 2/3 pass, the gate fails (pass rate, must-pass sum)",
                                 hello_set, &hello_parent, {}, std::nullopt, std::nullopt, all},
                          &hello_parent_sidecar);
      !s.ok()) {
    return s;
  }
  for (const auto& [kind, name, file] : {std::tuple{slm::AdapterKind::SPARSE, "sparse", "fix.asp"},
                                         std::tuple{slm::AdapterKind::LOW_RANK, "lowrank", "fix.alr"},
                                         std::tuple{slm::AdapterKind::DENSE, "dense", "fix.adp"}}) {
    auto fix = fix_adapter(hello_parent_bytes, hello.value(), kind);
    if (!fix.ok()) return in_case("eval/hello-fix", fix.status());
    const EvalCaseSpec c{std::string("eval/hello-fix-") + name,
                         std::string("through the ") + name + " fix, judged against the parent's sidecar: 3/3, gate passes, no regression",
                         hello_set, &hello_shared, {{file, fix.value()}}, std::nullopt, baseline_of(hello_parent_sidecar),
                         {"RT-EVAL-002", "RT-EVAL-005", "RT-EVAL-006"}};
    if (auto s = write_eval(root, c, &hello_fix_sidecar); !s.ok()) return s;
  }
  // An invalid parent under an adapter: the parent's own error (adapters.md 6: a parent is fully
  // validated before any adapter check, since A34 compares content digests), not the adapter's.
  {
    const std::string id = "eval/parent-invalid-with-adapter";
    auto fix = fix_adapter(hello_parent_bytes, hello.value(), slm::AdapterKind::SPARSE);
    if (!fix.ok()) return in_case(id, fix.status());
    Bytes broken = hello_parent_bytes;
    broken.back() ^= 0x01;  // the last tensor's last byte: the file checksum no longer matches
    std::error_code ec;
    fs::create_directories(root / id, ec);
    if (auto s = slm::write_file_atomically((root / id / "model.slm").string(), broken); !s.ok()) return s;
    const Parent bad{json{{"file", "model.slm"}, {"sha256", slm::to_hex(slm::sha256(broken))}}, (root / id / "model.slm").string()};
    if (auto s = write_eval(root, {id, "the parent fails full validation (its checksum) under a valid sparse fix: the parent's code, before any adapter check",
                                   hello_set, &bad, {{"fix.asp", fix.value()}}, std::nullopt, std::nullopt, {"SLM-CHK-001", "RT-ADP-005"}});
        !s.ok()) {
      return s;
    }
  }
  // The parent judged against the fix's sidecar: the sum passed there and fails here, a regression.
  if (auto s = write_eval(root, {"eval/hello-regression", "the buggy parent against the fixed model's sidecar: the sum regresses, "
                                                          "the gate names it",
                                 hello_set, &hello_shared, {}, std::nullopt, baseline_of(hello_fix_sidecar), {"RT-EVAL-005"}});
      !s.ok()) {
    return s;
  }
  // A baseline whose reproducible part holds a float under a key nothing else reads, its digest
  // matching: only the "integers only" check of SLM-EVAL-004 refuses it. Canonical JSON writes a
  // float as null (eval.md 2), and nlohmann::json keeps keys sorted, as canonical JSON does.
  {
    nlohmann::json r = nlohmann::json::parse(hello_parent_sidecar);
    r["note"] = nullptr;
    const std::string digest = sha256_of(r.dump());
    r["note"] = 0.5;
    const std::string baseline = json{{"slm_eval_sidecar", 1}, {"reproducible_digest", digest},
                                      {"reproducible", json::parse(r.dump())}, {"measured", json::object()}}
                                     .dump(2) + "\n";
    if (auto s = write_eval(root, {"eval/baseline-float", "a baseline whose reproducible part holds a float (its digest matches): "
                                                          "E_EVAL_SIDECAR",
                                   hello_set, &hello_shared, {}, std::nullopt, baseline, {"SLM-EVAL-004"}});
        !s.ok()) {
      return s;
    }
  }
  // "trim" drops whitespace at both ends: " a " (three tokens of " a time.") must match "a".
  {
    const std::string set = json{{"slm_eval", 1}, {"name", "trim"}}.dump() + "\n" +
                            json{{"id", "both-ends"}, {"prompt", "Once upon"}, {"expected", "a"}, {"max_tokens", 3}, {"match", "trim"}}.dump() +
                            "\n";
    if (auto s = write_eval(root, {"eval/hello-trim", "an output with whitespace at both ends, compared trimmed: passes",
                                   set, &hello_shared, {}, std::nullopt, std::nullopt, {"RT-EVAL-003"}});
        !s.ok()) {
      return s;
    }
  }
  // A set file that does not exist: an I/O error, not a crash or an empty set.
  {
    EvalCaseSpec absent{"eval/set-absent", "the set file does not exist: E_IO_READ", "", &hello_shared, {}, std::nullopt,
                        std::nullopt, {"SLM-IO-001"}};
    absent.set_absent = true;
    if (auto s = write_eval(root, absent); !s.ok()) return s;
  }
  {
    const std::string sampled = json{{"slm_eval", 1}, {"name", "hello-sampled"},
                                     {"defaults", {{"temperature", 0.8}, {"top_k", 4}, {"top_p", 0.9}, {"seed", 42}}}}.dump() +
                                "\n" + json{{"id", "hello"}, {"prompt", "Hello"}, {"expected", ", world!"}}.dump() + "\n" +
                                json{{"id", "sum"}, {"prompt", "2+2="}, {"expected", "5"}, {"seed", 7}}.dump() + "\n";
    if (auto s = write_eval(root, {"eval/hello-sampled", "sampled with seeds (temperature 0.8, top-k 4, top-p 0.9): the margins keep the programmed text",
                                   sampled, &hello_shared, {}, std::nullopt, std::nullopt, {"RT-EVAL-002", "RT-EVAL-006"}});
        !s.ok()) {
      return s;
    }
  }
  {
    const std::string boundaries = json{{"slm_eval", 1}, {"name", "boundaries"}}.dump() + "\n" +
                                   json{{"id", "zero"}, {"prompt", "Hello"}, {"expected", ""}, {"max_tokens", 0}}.dump() + "\n" +
                                   json{{"id", "three"}, {"prompt", "Hello"}, {"expected", ", w"}, {"max_tokens", 3}}.dump() + "\n" +
                                   json{{"id", "cut"}, {"prompt", "Hello"}, {"expected", ", world!"}, {"max_tokens", 3}}.dump() + "\n" +
                                   json{{"id", "stop-first"}, {"prompt", "Hello"}, {"expected", ""}, {"stop", {",", "world"}}}.dump() + "\n" +
                                   json{{"id", "too-long"}, {"prompt", std::string(80, 'a')}, {"expected", ""}}.dump() + "\n";
    if (auto s = write_eval(root, {"eval/hello-boundaries",
                                   "max_tokens 0 and 3 (an answer cut short fails), a stop string at the first byte, a prompt longer "
                                   "than the context (prompt_too_long, the set goes on)",
                                   boundaries, &hello_shared, {}, std::nullopt, std::nullopt, {"RT-EVAL-002", "RT-EVAL-003"}});
        !s.ok()) {
      return s;
    }
  }
  if (auto s = write_eval(root, {"eval/hello-ceiling", "a policy with ceilings below the model's KV cache and scratch: the gate names both",
                                 hello_set, &hello_shared, {}, std::string("{\"min_pass_percent\": 50, \"max_kv_cache_bytes\": 1024, \"max_scratch_bytes\": 4096}\n"),
                                 std::nullopt, {"RT-EVAL-004", "RT-EVAL-005"}});
      !s.ok()) {
    return s;
  }
  // ---- additions ----
  auto additions = builtin_program("additions"), additions_buggy = builtin_program("additions-buggy");
  if (!additions.ok() || !additions_buggy.ok()) return case_error("eval: the additions programs do not parse");
  const json add_defaults = {{"max_tokens", 4}};
  const std::string add_set = set_of_program("additions", "the 100 single-digit additions of conformance/programs/additions.json",
                                             additions.value(), add_defaults, {"add-77"}, "add-");
  for (const char* dtype : {"f32", "q8_0", "q4_0"}) {
    slmgen::ModelProgram buggy = additions_buggy.value();
    buggy.dtype = dtype;
    const std::string parent_id = std::string("eval/additions-") + dtype + "-parent";
    Bytes parent_bytes;
    auto ap = program_parent(root, parent_id, buggy, &parent_bytes);
    if (!ap.ok()) return ap.status();
    const Parent parent = ap.value();
    std::string sidecar;
    if (auto s = write_eval(root, {parent_id, std::string("the buggy additions parent (") + dtype +
                                                  ") gets the ten 7+b wrong: 90/100, the gate fails (pass rate, must-pass 7+7)",
                                   add_set, &parent, {}, std::nullopt, std::nullopt, all},
                            &sidecar);
        !s.ok()) {
      return s;
    }
    if (std::string(dtype) != "f32") continue;
    const Parent parent_shared = shared(parent, parent_id);
    slmgen::ModelProgram fixed = additions.value();
    fixed.dtype = dtype;
    for (const auto& [kind, name, file] : {std::tuple{slm::AdapterKind::SPARSE, "sparse", "fix.asp"},
                                           std::tuple{slm::AdapterKind::LOW_RANK, "lowrank", "fix.alr"}}) {
      auto fix = fix_adapter(parent_bytes, fixed, kind);
      if (!fix.ok()) return in_case("eval/additions-fix", fix.status());
      const EvalCaseSpec c{std::string("eval/additions-fix-") + name,
                           std::string("the additions through the ") + name + " fix, against the parent's sidecar: 100/100, no regression",
                           add_set, &parent_shared, {{file, fix.value()}}, std::nullopt, baseline_of(sidecar),
                           {"RT-EVAL-002", "RT-EVAL-005", "RT-EVAL-006"}};
      if (auto s = write_eval(root, c); !s.ok()) return s;
    }
  }
  // ---- an output that is not UTF-8: utf8.json continues "caf" with "é €5", one byte per token ----
  {
    auto utf8 = builtin_program("utf8");
    if (!utf8.ok()) return utf8.status();
    auto up = program_parent(root, "eval/utf8-cut", utf8.value());
    if (!up.ok()) return up.status();
    const std::string set = json{{"slm_eval", 1}, {"name", "utf8"}}.dump() + "\n" +
                            json{{"id", "cut-in-e-acute"}, {"prompt", "caf"}, {"expected", "\xC3\xA9"}, {"max_tokens", 1}}.dump() + "\n" +
                            json{{"id", "cut-in-euro"}, {"prompt", "caf"}, {"expected", "\xC3\xA9 \xE2\x82\xAC"}, {"max_tokens", 5}}.dump() + "\n" +
                            json{{"id", "whole"}, {"prompt", "caf"}, {"expected", "\xC3\xA9 \xE2\x82\xAC" "5"}}.dump() + "\n";
    std::string sidecar;
    if (auto s = write_eval(root, {"eval/utf8-cut", "max_tokens cuts a multi-byte character: the output is not UTF-8, is recorded as "
                                                    "output_hex and never passes; the whole text passes",
                                   set, &up.value(), {}, std::nullopt, std::nullopt, {"RT-EVAL-003", "RT-EVAL-006"}},
                            &sidecar);
        !s.ok()) {
      return s;
    }
    if (sidecar.find("\"output_hex\"") == std::string::npos) return case_error("eval/utf8-cut: no output_hex");
  }
  // ---- one-fault set files (SLM-EVAL-001) ----
  const std::string header = "{\"slm_eval\": 1, \"name\": \"faulty\"}\n";
  const std::string good = "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\"}\n";
  const std::pair<const char*, std::string> faults[] = {
      {"duplicate-id", header + good + good},
      {"float-max-tokens", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"max_tokens\": 5.0}\n"},
      {"unknown-key", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"expect\": \"y\"}\n"},
      {"missing-expected", header + good + "{\"id\": \"b\", \"prompt\": \"x\"}\n"},
      {"carriage-return", header + good + "{\"id\": \"b\", \"prompt\": \"x\", \"expected\": \"y\"}\r\n"},
      {"invalid-utf8", header + good + "{\"id\": \"b\", \"prompt\": \"\xC3\x28\", \"expected\": \"y\"}\n"},
      {"duplicate-key", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"prompt\": \"z\"}\n"},
      {"no-cases", header},
      {"no-header-version", "{\"name\": \"faulty\"}\n" + good},
      {"bad-id", header + "{\"id\": \"a b\", \"prompt\": \"x\", \"expected\": \"y\"}\n"},
      {"top-p-zero", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"top_p\": 0}\n"},
      {"empty-line", header + good + "\n" + "{\"id\": \"b\", \"prompt\": \"x\", \"expected\": \"y\"}\n"},
      // one past each range of section 2 (the mutation run found these unchecked)
      {"temperature-over", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"temperature\": 100.5}\n"},
      {"max-tokens-over", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"max_tokens\": 4097}\n"},
      {"top-p-over", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"top_p\": 1.5}\n"},
      {"stop-too-long", header + json{{"id", "a"}, {"prompt", "x"}, {"expected", "y"}, {"stop", {std::string(65, 's')}}}.dump() + "\n"},
      {"stop-too-many", header + json{{"id", "a"}, {"prompt", "x"}, {"expected", "y"}, {"stop", std::vector<std::string>(9, "s")}}.dump() + "\n"},
      {"tag-too-long", header + json{{"id", "a"}, {"prompt", "x"}, {"expected", "y"}, {"tags", {std::string(65, 't')}}}.dump() + "\n"},
      {"tags-too-many", header + json{{"id", "a"}, {"prompt", "x"}, {"expected", "y"}, {"tags", std::vector<std::string>(17, "t")}}.dump() + "\n"},
      {"id-too-long", header + json{{"id", std::string(129, 'i')}, {"prompt", "x"}, {"expected", "y"}}.dump() + "\n"},
      {"name-too-long", json{{"slm_eval", 1}, {"name", std::string(65, 'n')}}.dump() + "\n" + good},
      {"match-unknown", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"match\": \"fuzzy\"}\n"},
      // each remaining check of eval.md 1, in order (the mutation run found these unchecked)
      {"empty-file", ""},
      {"byte-order-mark", "\xEF\xBB\xBF" + header + good},
      {"lone-surrogate", header + "{\"id\": \"a\", \"prompt\": \"\\ud800\", \"expected\": \"y\"}\n"},
      {"not-an-object", header + good + "[]\n"},
      // 100,000 brackets: a reader that recurses per level must not overflow its stack on them
      {"deep-nesting", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"tags\": " + std::string(100000, '[') +
                           std::string(100000, ']') + "}\n"},
      {"header-unknown-key", "{\"slm_eval\": 1, \"name\": \"faulty\", \"version\": 1}\n" + good},
      {"header-version-2", "{\"slm_eval\": 2, \"name\": \"faulty\"}\n" + good},
      {"name-uppercase", "{\"slm_eval\": 1, \"name\": \"Faulty\"}\n" + good},
      {"name-colon", "{\"slm_eval\": 1, \"name\": \"a:b\"}\n" + good},
      {"description-number", "{\"slm_eval\": 1, \"name\": \"faulty\", \"description\": 5}\n" + good},
      {"defaults-not-object", "{\"slm_eval\": 1, \"name\": \"faulty\", \"defaults\": []}\n" + good},
      {"defaults-unknown-key", "{\"slm_eval\": 1, \"name\": \"faulty\", \"defaults\": {\"expected\": \"y\"}}\n" + good},
      {"defaults-top-p-zero", "{\"slm_eval\": 1, \"name\": \"faulty\", \"defaults\": {\"top_p\": 0}}\n" + good},
      {"prompt-number", header + "{\"id\": \"a\", \"prompt\": 5, \"expected\": \"y\"}\n"},
      {"must-pass-string", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"must_pass\": \"yes\"}\n"},
      {"top-k-negative", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"top_k\": -1}\n"},
      {"seed-negative", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"seed\": -1}\n"},
      {"temperature-negative", header + "{\"id\": \"a\", \"prompt\": \"x\", \"expected\": \"y\", \"temperature\": -0.5}\n"},
  };
  for (const auto& [name, text] : faults) {
    if (auto s = write_eval(root, {std::string("eval/set-") + name, std::string("a set file with one fault (") + name + "): E_EVAL_SET, its line's offset",
                                   text, &hello_shared, {}, std::nullopt, std::nullopt, {"SLM-EVAL-001"}});
        !s.ok()) {
      return s;
    }
  }
  // ---- every range of section 2 at its limit: accepted. Control characters in `expected` must be
  // escaped as \u00XX in canonical JSON, or the case digest differs (RT-EVAL-001) ----
  {
    const json limits_case = {{"id", std::string(128, 'i')},
                              {"prompt", "x"},
                              {"expected", "\x01y\x1f"},
                              {"tags", std::vector<std::string>(16, std::string(64, 't'))},
                              {"stop", std::vector<std::string>(8, std::string(64, 's'))},
                              {"max_tokens", 2}};
    const json hot_case = {{"id", "hot"}, {"prompt", "x"}, {"expected", "y"}, {"temperature", 100}, {"top_p", 1},
                           {"seed", 3}, {"max_tokens", 2}};
    const std::string set = json{{"slm_eval", 1}, {"name", std::string(64, 'n')}}.dump() + "\n" + limits_case.dump() + "\n" +
                            hot_case.dump() + "\n";
    if (auto s = write_eval(root, {"eval/set-at-limits", "every string and number of a set at the upper end of its range is accepted; "
                                                          "control characters in a case digest are escaped",
                                   set, &hello_shared, {}, std::nullopt, std::nullopt, {"SLM-EVAL-001", "RT-EVAL-001"}});
        !s.ok()) {
      return s;
    }
  }
  return slm::Status::success();
}

}  // namespace slmconf
