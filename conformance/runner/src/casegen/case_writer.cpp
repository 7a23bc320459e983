// `slm gen cases`: the generated part of conformance/cases/ (valid models, one-fault negatives, an
// absent input) and the manifest. Same generators, same bytes: a test regenerates and compares.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "slm/output_set.h"
#include "slmconf/recipe_json.h"
#include "slm/sha256.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "case_files.h"
#include "ops/op.h"
#include "slmconf/cases.h"
#include "slmconf/identity_json.h"
#include "slmgen/negatives.h"
#include "slmgen/recipe.h"

namespace slmconf {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr const char* kSpecVersion = "1";
constexpr std::uint64_t kCommitLimit = 128 * 1024;  // larger inputs are generated at test time

struct ValidCase {
  std::string id, description;
  slmgen::ModelRecipe recipe;
  bool verify_digest = true;
};

std::vector<ValidCase> valid_cases() {
  auto r = [](std::string preset, std::uint64_t seed) {
    slmgen::ModelRecipe recipe;
    recipe.preset = std::move(preset);
    recipe.seed = seed;
    return recipe;
  };
  std::vector<ValidCase> out;
  out.push_back({"valid/tiny-mixed-dtypes", "tiny preset: q8_0 embedding, q4_0 attention, f32 FFN, tied output", r("tiny", 1)});
  auto untied = r("tiny", 2);
  untied.untied = true;
  out.push_back({"valid/tiny-untied", "separate output.weight classifier (flag bit 0)", untied});
  for (const char* dtype : {"f32", "q8_0", "q4_0"}) {
    auto x = r("tiny", 3);
    x.dtype = dtype;
    out.push_back({std::string("valid/tiny-all-") + dtype, std::string("every matrix stored as ") + dtype, x});
  }
  auto bpe = r("tiny", 4);
  bpe.tokenizer = "bpe";
  out.push_back({"valid/tiny-bpe", "BPE tokenizer with 300 pieces and the dummy-prefix flag", bpe});
  auto gqa = r("tiny", 5);
  gqa.dim = 64;
  gqa.heads = 4;
  gqa.kv_heads = 2;
  gqa.layers = 2;
  gqa.dtype = "q4_0";
  out.push_back({"valid/grouped-kv-heads", "4 heads sharing 2 KV heads, 2 layers", gqa});
  auto deep = r("tiny", 6);
  deep.layers = 4;
  deep.dtype = "q4_0";
  out.push_back({"valid/four-layers", "4 layers: names layers.0 .. layers.3 in canonical order", deep});
  auto no_digest = r("tiny", 7);
  out.push_back({"valid/without-full-validation", "a valid file validated without the digest check", no_digest, false});
  out.push_back({"valid/small-bpe", "small preset (vocab 512, dim 64, 2 layers), generated at test time", r("small", 1)});
  out.push_back({"valid/stories15m", "llama2.c stories15M shape (vocab 32000, dim 288, 6 layers), generated at test time",
                 r("stories15m", 1)});
  return out;
}

}  // namespace

json tensor_digests_json(const std::vector<std::uint8_t>& file, const slm::ModelInfo& info) {
  slm::SpanSource source(file);
  auto tensors = tensor_digests(source, info);
  return tensors.ok() ? tensors_to_json(tensors.value()) : json::array();  // `info` describes `file`: cannot fail
}

slm::Status write_case(const fs::path& dir, const json& expected, const std::vector<std::uint8_t>* input) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return slm::make_error(slm::ErrorCode::E_IO_WRITE, slm::kNoOffset, dir.string() + ": " + ec.message());
  if (input) {
    if (auto s = slm::write_file_atomically((dir / "model.slm").string(), *input); !s.ok()) return s;
  }
  return slm::write_text_atomically((dir / "expected.json").string(), expected.dump(2) + "\n");
}

namespace {


slm::Status write_valid(const fs::path& root, const ValidCase& v) {
  const auto options = slmgen::resolve_recipe(v.recipe);
  if (!options.ok()) return in_case(v.id, options.status());
  const auto bytes = slm::write_model(slmgen::generate_model(options.value()));
  const auto info = slm::validate_model(bytes, {.verify_digest = true});
  if (!info.ok()) return in_case(v.id + ": generated model is invalid", info.status());
  const json tensors = tensor_digests_json(bytes, info.value());
  const bool commit = bytes.size() <= kCommitLimit;
  json input = commit ? json{{"file", "model.slm"}} : json{{"generate", recipe_to_json(v.recipe)}};
  input["sha256"] = slm::to_hex(slm::sha256(bytes));
  json rules = {"SLM-ID-001", "SLM-ID-002", "SLM-ID-003"};
  if (v.verify_digest) rules.push_back("SLM-DIG-001");
  const json expected = {{"id", v.id},
                         {"spec_version", kSpecVersion},
                         {"description", v.description},
                         {"op", "validate"},
                         {"level", "L3"},
                         {"input", input},
                         {"options", {{"verify_digest", v.verify_digest}}},
                         {"expect", {{"outcome", "accept"}, {"identity", identity_json(info->header.identity)}, {"tensors", tensors}}},
                         {"rules", rules},
                         {"tags", commit ? json{"valid"} : json{"valid", "generated-input"}}};
  return write_case(root / v.id, expected, commit ? &bytes : nullptr);
}

slm::Status write_negative(const fs::path& root, const slmgen::NegativeCase& n) {
  const auto result = slm::validate_model(n.bytes, {.verify_digest = n.verify_digest});
  if (result.ok() || result.status().code != n.expected) return case_error(n.id + ": the reference does not give the declared code");
  const auto& row = slm::error_info(n.expected);
  json expect = {{"outcome", "reject"}, {"codes", {row.name}}, {"rule", row.rule}, {"phase", slm::phase_name(row.phase)}};
  expect["offset"] = result.status().has_offset() ? json(result.status().offset) : json(nullptr);
  const json expected = {{"id", n.id},
                         {"spec_version", kSpecVersion},
                         {"description", n.description},
                         {"op", "validate"},
                         {"level", "L3"},  // the offset, or null when the code has none
                         {"input", {{"file", "model.slm"}, {"sha256", slm::to_hex(slm::sha256(n.bytes))}}},
                         {"options", {{"verify_digest", n.verify_digest}}},
                         {"expect", expect},
                         {"rules", {row.rule}},
                         {"tags", {"negative", std::string("phase-") + std::string(slm::phase_name(row.phase))}}};
  return write_case(root / n.id, expected, &n.bytes);
}

slm::Status write_absent(const fs::path& root) {
  const auto& row = slm::error_info(slm::ErrorCode::E_IO_READ);
  const json expected = {{"id", "io/missing-file"},
                         {"spec_version", kSpecVersion},
                         {"description", "the input path does not exist: an I/O error, not a crash or an accept"},
                         {"op", "validate"},
                         {"level", "L3"},
                         {"input", {{"absent", "does-not-exist.slm"}}},
                         {"options", {{"verify_digest", false}}},
                         {"expect", {{"outcome", "reject"}, {"codes", {row.name}}, {"rule", row.rule}, {"phase", "RUNTIME"}, {"offset", nullptr}}},
                         {"rules", {row.rule}},
                         {"tags", {"negative", "io"}}};
  return write_case(root / "io" / "missing-file", expected, nullptr);
}

slm::Status write_manifest(const fs::path& root) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().filename() == "expected.json") files.push_back(e.path());
  }
  std::vector<json> cases;
  for (const auto& f : files) {
    std::ifstream in(f);
    const auto j = json::parse(in, nullptr, false);
    if (j.is_discarded()) return case_error(f.string() + ": malformed");
    cases.push_back({{"id", j["id"]}, {"level", j["level"]}, {"rules", j["rules"]}, {"tags", j["tags"]}});
  }
  std::sort(cases.begin(), cases.end(), [](const json& a, const json& b) { return a["id"] < b["id"]; });
  const json manifest = {{"format", "slm-conformance-cases"}, {"spec_version", kSpecVersion}, {"cases", cases}};
  return slm::write_text_atomically((root / "manifest.json").string(), manifest.dump(2) + "\n");
}

}  // namespace

slm::Status write_generated_cases(const std::string& dir) {
  const fs::path root(dir);
  for (const auto& v : valid_cases()) {
    if (auto s = write_valid(root, v); !s.ok()) return s;
  }
  for (const auto& n : slmgen::make_negatives()) {
    if (auto s = write_negative(root, n); !s.ok()) return s;
  }
  if (auto s = write_absent(root); !s.ok()) return s;
  if (auto s = write_golden_cases(root); !s.ok()) return s;
  if (auto s = write_adapter_cases(root); !s.ok()) return s;
  if (auto s = write_eval_cases(root); !s.ok()) return s;
  return write_manifest(root);
}

}  // namespace slmconf
