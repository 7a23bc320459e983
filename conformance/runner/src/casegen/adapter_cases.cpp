// `slm gen cases`, adapters/: one negative per adapter rule (op validate_adapter), valid adapters of
// each kind applied to their parent with the descendant's identity, tensor digests and lineage (op
// apply_adapter, L3), a two-step stack, and a fix adapter whose descendant's continuation changes (L4).
#include <algorithm>
#include <optional>
#include <tuple>

#include "case_files.h"
#include "slm/adapter.h"
#include "slm/output_set.h"
#include "slm/errors.h"
#include "slm/sha256.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "slmconf/identity_json.h"
#include "slmconf/program_json.h"
#include "slmconf/programs.h"
#include "ops/op.h"
#include "slmconf/protocol.h"
#include "slmconf/reference_runtime.h"
#include "slmgen/adapter_gen.h"
#include "slmgen/fix_adapter.h"
#include "slmgen/program.h"

namespace slmconf {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Bytes = std::vector<std::uint8_t>;

namespace {

json file_input(const std::string& relative, const Bytes& bytes) {
  return {{"file", relative}, {"sha256", slm::to_hex(slm::sha256(bytes))}};
}

slm::Status write_bytes(const fs::path& path, const Bytes& bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (auto s = slm::write_file_atomically(path.string(), bytes); !s.ok()) return s;
  return slm::Status::success();
}

// The shared parent of the negatives and of the apply cases: a valid validate case of its own.
constexpr const char* kParentCase = "adapters/parent";

slm::Status write_parent_case(const fs::path& root, const Bytes& parent) {
  auto info = slm::validate_model(parent, {.verify_digest = true});
  if (!info.ok()) return in_case("adapter parent is invalid", info.status());
  const json tensors = tensor_digests_json(parent, info.value());
  const json expected = {{"id", kParentCase},
                         {"spec_version", kCaseSpecVersion},
                         {"description", "the parent model every adapter case binds to (tiny, untied, q8_0 embedding, q4_0 attention)"},
                         {"op", "validate"},
                         {"level", "L3"},
                         {"input", file_input("model.slm", parent)},
                         {"options", {{"verify_digest", true}}},
                         {"expect", {{"outcome", "accept"}, {"identity", identity_json(info->header.identity)}, {"tensors", tensors}}},
                         {"rules", {"SLM-ID-001", "SLM-DIG-001"}},
                         {"tags", {"valid", "adapter-parent"}}};
  return write_case(root / kParentCase, expected, &parent);
}

// Path of the parent's model.slm relative to a case folder `id` levels deep below adapters/.
std::string parent_relative(const std::string& id) {
  std::string up = "../";
  for (char c : id) if (c == '/') up += "../";
  return up + "parent/model.slm";
}

slm::Status write_negative(const fs::path& root, const slmgen::AdapterNegativeCase& n, const Bytes& parent, const std::string& parent_path) {
  const std::string id = "adapters/" + n.id;
  const fs::path dir = root / id;
  const std::string file = fs::path(n.file).filename().string();
  if (auto s = write_bytes(dir / file, n.bytes); !s.ok()) return s;
  Request c;
  c.path = (dir / file).string();
  if (n.expected == slm::ErrorCode::E_ADP_APPLY_NONFINITE) c.params = ops::ApplyAdapter::Params{parent_path, {}, std::nullopt};
  else c.params = ops::ValidateAdapter::Params{parent_path};
  const Answer a = reference_answer(c);
  const auto& row = slm::error_info(n.expected);
  if (a.accepted || a.code != row.name) return case_error(id + ": the reference answers " + (a.accepted ? "accept" : a.code) + ", not " + std::string(row.name));
  json expect = {{"outcome", "reject"}, {"codes", {row.name}}, {"rule", row.rule}, {"phase", slm::phase_name(row.phase)}};
  expect["offset"] = a.offset ? json(*a.offset) : json(nullptr);
  if (a.step) expect["step"] = *a.step;
  const json expected = {{"id", id},
                         {"spec_version", kCaseSpecVersion},
                         {"description", n.description},
                         {"op", std::string(op_name(c.params))},
                         {"level", "L3"},  // the offset, or null when the code has none
                         {"input", file_input(file, n.bytes)},
                         {"parent", file_input(parent_relative(id.substr(std::string("adapters/").size())), parent)},
                         {"options", {{"verify_digest", false}}},
                         {"expect", expect},
                         {"rules", {row.rule}},
                         {"tags", {"negative", "adapter", std::string("phase-") + std::string(slm::phase_name(row.phase))}}};
  return write_case(dir, expected, nullptr);
}

// What `program` makes its model continue `prompt` with.
std::string continuation_of(const slmgen::ModelProgram& program, const std::string& prompt) {
  for (const auto& e : program.entries) {
    if (e.prompt == prompt) return e.continuation;
  }
  return {};
}

struct ApplyCase {
  std::string id, description;
  std::vector<std::pair<std::string, Bytes>> adapters;  // file name, bytes; applied in order
  std::vector<std::string> rules;
  std::optional<GenerateParams> generate;  // the descendant also generates (L4)
  std::optional<std::string> promised;     // the text the fixed program promises
  json parent_input;                       // default: the shared parent
  std::string parent_path;
};

slm::Status write_apply(const fs::path& root, const ApplyCase& a) {
  const fs::path dir = root / a.id;
  Request c;
  ops::ApplyAdapter::Params params;
  params.parent = a.parent_path;
  for (std::size_t k = 0; k < a.adapters.size(); ++k) {
    if (auto s = write_bytes(dir / a.adapters[k].first, a.adapters[k].second); !s.ok()) return s;
    const std::string path = (dir / a.adapters[k].first).string();
    if (k == 0) c.path = path;
    else params.stack.push_back(path);
  }
  params.generate = a.generate;
  c.params = params;
  const Answer answer = reference_answer(c);
  if (!answer.accepted) return case_error(a.id + ": the reference does not apply it: " + answer.code + " " + answer.message);
  const auto& ans = std::get<ops::ApplyAdapter::Output>(answer.output);
  if (!ans.model.identity || !ans.lineage) return case_error(a.id + ": the reference reports no identity or lineage");
  json expect = {{"outcome", "accept"},
                 {"identity", identity_json(*ans.model.identity)},
                 {"tensors", tensors_to_json(ans.model.tensors)},
                 {"lineage", lineage_json(*ans.lineage)}};
  json request;
  if (a.generate) {
    if (!ans.generation) return case_error(a.id + ": the descendant did not generate");
    const GenerationOutput& gen = *ans.generation;
    if (a.promised && gen.text != a.promised) return case_error(a.id + ": the descendant continues with \"" + gen.text.value_or("") + "\"");
    expect["prompt_tokens"] = gen.prompt_tokens;
    expect["tokens"] = gen.tokens;
    if (gen.text && is_utf8(*gen.text)) expect["text"] = *gen.text;
    expect["stop_reason"] = gen.stop_reason;
    if (!gen.logits.empty()) expect["logits"] = logits_expectation(gen.logits);
    request = json::object();
    write_generate_params(*a.generate, request);
  }
  json stack = json::array();
  for (std::size_t k = 1; k < a.adapters.size(); ++k) stack.push_back(file_input(a.adapters[k].first, a.adapters[k].second));
  json expected = {{"id", a.id},
                   {"spec_version", kCaseSpecVersion},
                   {"description", a.description},
                   {"op", "apply_adapter"},
                   {"level", a.generate ? "L4" : "L3"},
                   {"input", file_input(a.adapters[0].first, a.adapters[0].second)},
                   {"parent", a.parent_input}};
  if (!stack.empty()) expected["stack"] = stack;
  expected["options"] = {{"verify_digest", false}};
  if (a.generate) expected["request"] = request;
  expected["expect"] = expect;
  expected["rules"] = a.rules;
  expected["tags"] = {"valid", "adapter"};
  return write_case(dir, expected, nullptr);
}

// A stack whose second adapter is bound to the parent instead of the first one's descendant: the
// answer names the failing step (2), and the first adapter's work is undone (RT-ADP-005, RT-ADP-006).
// An apply that fails at `step`: files[0] is the input, the rest the stack; a file without bytes is
// absent (unreadable). The reference's answer is recorded, and must fail at the step planned.
struct ApplyFailure {
  std::string id, description;
  std::vector<std::pair<std::string, std::optional<Bytes>>> files;
  std::uint64_t step = 0;
  std::vector<std::string> rules;  // besides the failing code's
};

slm::Status write_apply_failure(const fs::path& root, const ApplyFailure& f, const Bytes& parent, const std::string& parent_path) {
  const fs::path dir = root / f.id;
  const auto input_of = [&](const std::pair<std::string, std::optional<Bytes>>& file) -> json {
    if (!file.second) return {{"absent", file.first}};
    return file_input(file.first, *file.second);
  };
  Request c;
  ops::ApplyAdapter::Params params{parent_path, {}, std::nullopt};
  json stack = json::array();
  for (std::size_t k = 0; k < f.files.size(); ++k) {
    const auto& [name, bytes] = f.files[k];
    if (bytes) {
      if (auto s = write_bytes(dir / name, *bytes); !s.ok()) return s;
    }
    if (k == 0) {
      c.path = (dir / name).string();
    } else {
      params.stack.push_back((dir / name).string());
      stack.push_back(input_of(f.files[k]));
    }
  }
  c.params = params;
  const Answer a = reference_answer(c);
  if (a.accepted || a.step != f.step) return case_error(f.id + ": the reference does not fail it at step " + std::to_string(f.step));
  slm::ErrorCode code{};
  if (!slm::parse_error_code(a.code, code)) return case_error(f.id + ": unknown code " + a.code);
  const auto& row = slm::error_info(code);
  json expect = {{"outcome", "reject"}, {"codes", {a.code}}, {"rule", row.rule}, {"phase", slm::phase_name(row.phase)}};
  expect["offset"] = a.offset ? json(*a.offset) : json(nullptr);
  expect["step"] = *a.step;
  json rules = {row.rule};
  for (const auto& r : f.rules) rules.push_back(r);
  json expected = {{"id", f.id},
                   {"spec_version", kCaseSpecVersion},
                   {"description", f.description},
                   {"op", "apply_adapter"},
                   {"level", "L3"},
                   {"input", input_of(f.files[0])},
                   {"parent", file_input(parent_relative(f.id.substr(std::string("adapters/").size())), parent)}};
  if (!stack.empty()) expected["stack"] = stack;
  expected["options"] = {{"verify_digest", false}};
  expected["expect"] = expect;
  expected["rules"] = rules;
  expected["tags"] = {"negative", "adapter", "stack"};
  std::error_code ec;
  fs::create_directories(dir, ec);
  return write_case(dir, expected, nullptr);
}

}  // namespace

slm::Status write_adapter_cases(const fs::path& root) {
  const Bytes parent = slmgen::adapter_negatives_parent();
  if (auto s = write_parent_case(root, parent); !s.ok()) return s;
  const std::string parent_path = (root / kParentCase / "model.slm").string();
  for (const auto& n : slmgen::make_adapter_negatives()) {
    if (auto s = write_negative(root, n, parent, parent_path); !s.ok()) return s;
  }

  const auto validated = slm::validate_model(parent, {.verify_digest = true});
  if (!validated.ok()) return in_case("adapter parent is invalid", validated.status());
  const slm::ModelInfo& info = validated.value();
  const json shared_parent = file_input("../parent/model.slm", parent);
  std::vector<ApplyCase> cases;
  const std::pair<slm::AdapterKind, const char*> kinds[] = {
      {slm::AdapterKind::DENSE, "dense"}, {slm::AdapterKind::SPARSE, "sparse"}, {slm::AdapterKind::LOW_RANK, "lowrank"}};
  for (const auto& [kind, name] : kinds) {
    slmgen::AdapterOptions options;
    options.kind = kind;
    options.seed = 21;
    const Bytes bytes = slm::write_adapter(slmgen::generate_adapter(info, options));
    GenerateParams g;  // the descendant generates too: its weights, not only its bytes, are checked
    g.prompt = "adapter";
    g.max_tokens = 8;
    g.logit_steps = 1;
    cases.push_back({std::string("adapters/apply-") + name,
                     std::string("a valid ") + name + " adapter: the descendant's identity, tensor digests, lineage and greedy tokens",
                     {{"adapter" + slmgen::adapter_extension(kind), bytes}},
                     kind == slm::AdapterKind::LOW_RANK ? std::vector<std::string>{"RT-ADP-002", "RT-ADP-003", "RT-ADP-004", "RT-ADP-007"}
                                                        : std::vector<std::string>{"RT-ADP-001", "RT-ADP-003", "RT-ADP-004", "RT-ADP-007"},
                     g, std::nullopt, shared_parent, parent_path});
  }
  {  // a stack: the second adapter binds to the model the first one makes
    slmgen::AdapterOptions first, second;
    first.kind = slm::AdapterKind::SPARSE;
    first.seed = 31;
    second.kind = slm::AdapterKind::LOW_RANK;
    second.seed = 32;
    const Bytes a1 = slm::write_adapter(slmgen::generate_adapter(info, first));
    auto model = slm::read_model(parent);
    if (!model.ok()) return in_case("stack", model.status());
    auto step1 = slm::apply_adapters(model.value(), std::vector<Bytes>{a1});
    if (!step1.ok()) return in_case("stack", step1.status());
    const auto validated1 = slm::validate_model(step1->descendant, {.verify_digest = true});
    if (!validated1.ok()) return in_case("stack", validated1.status());
    const slm::ModelInfo& info1 = validated1.value();
    const Bytes a2 = slm::write_adapter(slmgen::generate_adapter(info1, second));
    const Bytes a2_for_parent = slm::write_adapter(slmgen::generate_adapter(info, second));
    // Failing steps (protocol.md 1.2): 1 the input, 2... the stack; an unreadable file fails its own step.
    const ApplyFailure failures[] = {
        {"adapters/stack-second-bound-to-parent",
         "sparse, then a low-rank adapter bound to the parent instead of to the sparse one's descendant: rejected at "
         "step 2 with the binding's code, nothing applied",
         {{"first.asp", a1}, {"second.alr", a2_for_parent}}, 2, {"RT-ADP-005", "RT-ADP-006"}},
        {"adapters/apply-input-unreadable", "the input adapter file does not exist: E_IO_READ at step 1",
         {{"missing.asp", std::nullopt}, {"second.alr", a2}}, 1, {"RT-ADP-006"}},
        {"adapters/apply-stack-unreadable",
         "the first adapter is valid, the stack's file does not exist: E_IO_READ at step 2 (the file's own step)",
         {{"first.asp", a1}, {"missing.alr", std::nullopt}}, 2, {"RT-ADP-006"}},
    };
    for (const auto& f : failures) {
      if (auto s = write_apply_failure(root, f, parent, parent_path); !s.ok()) return s;
    }
    // A37 is checked per step on W' of that step: two dense adapters each add 2e38 to the same
    // entry, finite after step 1, +inf after step 2. A runtime that checks a step on a later
    // step's sum fails at step 1 instead.
    slmgen::AdapterOptions dense;
    dense.kind = slm::AdapterKind::DENSE;
    dense.seed = 41;
    slm::Adapter d1 = slmgen::generate_adapter(info, dense);
    for (auto& v : d1.entries[0].values) v = 2e38f;
    const Bytes dense1 = slm::write_adapter(d1);
    auto model2 = slm::read_model(parent);
    if (!model2.ok()) return in_case("stack-overflow", model2.status());
    auto big = slm::apply_adapters(model2.value(), std::vector<Bytes>{dense1});
    if (!big.ok()) return in_case("stack-overflow", big.status());
    const auto validated_big = slm::validate_model(big->descendant, {.verify_digest = true});
    if (!validated_big.ok()) return in_case("stack-overflow", validated_big.status());
    slm::Adapter d2 = slmgen::generate_adapter(validated_big.value(), dense);
    d2.entries = d1.entries;  // bound to step 1's descendant, the same 2e38 deltas
    const ApplyFailure overflow{"adapters/apply-stack-second-overflows",
                                "two dense adapters each add 2e38 to the same entry: finite after step 1, +inf after step 2, "
                                "so E_ADP_APPLY_NONFINITE at step 2",
                                {{"first.adp", dense1}, {"second.adp", slm::write_adapter(d2)}}, 2, {"RT-ADP-006"}};
    if (auto s = write_apply_failure(root, overflow, parent, parent_path); !s.ok()) return s;
    cases.push_back({"adapters/apply-stack", "sparse then low-rank: adapter 2 binds to the descendant of adapter 1; lineage lists both",
                     {{"first.asp", a1}, {"second.alr", a2}}, {"RT-ADP-005", "RT-ADP-007"}, std::nullopt, std::nullopt,
                     shared_parent, parent_path});
  }
  {  // the breeding story: a programmed parent with a wrong answer and the sparse adapter that fixes it
    auto buggy_program = builtin_program("hello-buggy"), fixed_program = builtin_program("hello");
    if (!buggy_program.ok()) return in_case("fix", buggy_program.status());
    if (!fixed_program.ok()) return in_case("fix", fixed_program.status());
    const slmgen::ModelProgram& buggy = buggy_program.value();
    const slmgen::ModelProgram& fixed = fixed_program.value();
    const auto buggy_model = slmgen::build_programmed_model(buggy);
    if (!buggy_model.ok()) return in_case("fix", buggy_model.status());
    const auto fixed_model = slmgen::build_programmed_model(fixed);
    if (!fixed_model.ok()) return in_case("fix", fixed_model.status());
    const Bytes programmed_parent = slm::write_model(buggy_model.value());
    const fs::path cache = fs::temp_directory_path() / "slm-gen-adapter-parent.slm";
    if (auto s = slm::write_file_atomically(cache.string(), programmed_parent); !s.ok()) return s;
    for (const auto& [kind, name, file] : {std::tuple{slm::AdapterKind::SPARSE, "sparse", "fix.asp"},
                                           std::tuple{slm::AdapterKind::LOW_RANK, "lowrank", "fix.alr"}}) {
      const auto made = slmgen::make_fix_adapter(programmed_parent, fixed_model.value(), kind);
      if (!made.ok()) return in_case("fix", made.status());
      const slm::Adapter& fix = made.value();
      const fs::path dir = root / "adapters" / (std::string("fix-") + name);
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (auto s = slm::write_text_atomically((dir / "program.json").string(), program_to_json_text(buggy)); !s.ok()) return s;
      GenerateParams g;
      g.prompt = "2+2=";
      g.logit_steps = 1;
      ApplyCase c{std::string("adapters/fix-") + name,
                  std::string("a programmed parent answers 2+2=5; the ") + name + " fix bound to it makes a descendant that answers 4",
                  {{file, slm::write_adapter(fix)}},
                  kind == slm::AdapterKind::SPARSE ? std::vector<std::string>{"RT-ADP-001", "RT-ADP-007"}
                                                   : std::vector<std::string>{"RT-ADP-002", "RT-ADP-007"},
                  g, continuation_of(fixed, g.prompt), json{{"program", "program.json"}, {"sha256", slm::to_hex(slm::sha256(programmed_parent))}},
                  cache.string()};
      cases.push_back(std::move(c));
      if (kind == slm::AdapterKind::SPARSE) {
        // A request with a prompt generates, even an empty one (protocol.md 1.2): BOS alone, no step.
        GenerateParams empty;
        empty.prompt = "";
        empty.max_tokens = 0;
        cases.push_back({"adapters/fix-sparse-empty-prompt",
                         "the sparse fix with a request whose prompt is empty and max_tokens 0: the descendant still "
                         "generates (prompt_tokens [BOS], no tokens, stop reason max_tokens)",
                         {{file, slm::write_adapter(fix)}},
                         {"RT-ADP-001", "RT-GEN-001"},
                         empty,
                         std::nullopt,
                         json{{"program", "../fix-sparse/program.json"}, {"sha256", slm::to_hex(slm::sha256(programmed_parent))}},
                         cache.string()});
      }
    }
  }
  for (const auto& c : cases) {
    if (auto s = write_apply(root, c); !s.ok()) return s;
  }
  return slm::Status::success();
}
}  // namespace slmconf
