// Reading the case tree and materialising inputs that are not committed as plain files.
#include "slmconf/cases.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "slm/output_set.h"
#include "slm/model_file.h"
#include "slm/sha256.h"
#include "slm/writer.h"
#include "slmconf/program_json.h"
#include "slmconf/recipe_json.h"
#include "ops/op.h"
#include "slmgen/program.h"
#include "slmgen/recipe.h"

namespace slmconf {

using wire::json;
using wire::ordered;

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxHexBytes = 16u << 20;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool parse_level(const std::string& s, Level& out) {
  if (s.size() != 2 || s[0] != 'L' || s[1] < '1' || s[1] > '5') return false;
  out = static_cast<Level>(s[1] - '0');
  return true;
}

std::string sha256_hex(const std::vector<std::uint8_t>& bytes) { return slm::to_hex(slm::sha256(bytes)); }

// An input never leaves the case tree (spec/protocol.md section 1): the path, with every symbolic
// link resolved, must lie inside the tree's root. Returns the path, or "" with `error` set.
std::string contained_path(const fs::path& root, const fs::path& case_dir, const json& name, std::string& error) {
  if (!name.is_string() || name.get<std::string>().empty()) {
    error = "an input file name is not a non-empty string";
    return "";
  }
  const fs::path relative(name.get<std::string>());
  if (relative.is_absolute()) {
    error = "input " + relative.string() + " is an absolute path; inputs are relative to the case folder";
    return "";
  }
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(case_dir / relative, ec);
  const fs::path base = fs::weakly_canonical(root, ec);
  const auto [b, r] = std::mismatch(base.begin(), base.end(), resolved.begin(), resolved.end());
  if (ec || b != base.end()) {
    error = "input " + relative.string() + " resolves to " + resolved.string() + ", outside the case tree " + base.string();
    return "";
  }
  return (case_dir / relative).string();
}

// Writes `bytes` to cache_dir/<sha256>.slm once; the name makes stale entries impossible.
std::string cache_input(const std::string& cache_dir, const std::vector<std::uint8_t>& bytes, std::string& error) {
  const fs::path path = fs::path(cache_dir) / (sha256_hex(bytes) + ".slm");
  if (fs::exists(path)) return path.string();
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (auto s = slm::write_file_atomically(path.string(), bytes); !s.ok()) {
    error = s.message;
    return "";
  }
  return path.string();
}

std::string load_input(Case& c, const json& input, const fs::path& root, const std::string& cache_dir) {
  std::string error;
  if (!input.is_object()) return "an input is not an object";
  if (input.contains("file")) {
    c.input_path = contained_path(root, c.dir, input["file"], error);
    if (c.input_path.empty()) return error;
  } else if (input.contains("hex")) {
    const std::string hex = contained_path(root, c.dir, input["hex"], error);
    if (hex.empty()) return error;
    std::vector<std::uint8_t> bytes;
    if (!parse_annotated_hex(read_text(hex), bytes, error)) return error;
    c.input_path = cache_input(cache_dir, bytes, error);
  } else if (input.contains("generate")) {
    slmgen::ModelRecipe recipe;
    if (!recipe_from_json(input["generate"], recipe)) return "bad recipe: not an object of the right types";
    auto options = slmgen::resolve_recipe(recipe);  // every limit checked before anything is allocated
    if (!options.ok()) {
      return "bad recipe: " + std::string(slm::error_info(options.status().code).name) + ": " + options.status().message;
    }
    const auto bytes = slm::write_model(slmgen::generate_model(options.value()));
    c.input_path = cache_input(cache_dir, bytes, error);
  } else if (input.contains("program")) {
    const std::string program_path = contained_path(root, c.dir, input["program"], error);
    if (program_path.empty()) return error;
    slmgen::ModelProgram program;
    slm::ModelDescription model;
    if (!program_from_json_text(read_text(program_path), program, error) ||
        !slmgen::build_programmed_model(program, model, error)) {
      return "bad program: " + error;
    }
    c.input_path = cache_input(cache_dir, slm::write_model(model), error);
  } else if (input.contains("absent")) {
    c.input_path = contained_path(root, c.dir, input["absent"], error);
    return c.input_path.empty() ? error : "";
  } else {
    return "input has none of file, hex, generate, program, absent";
  }
  if (!error.empty()) return error;
  if (!input.contains("sha256") || !input["sha256"].is_string()) return "input without a sha256 string";
  c.input_sha256 = input["sha256"].get<std::string>();
  auto bytes = slm::read_file_bytes(c.input_path);
  if (!bytes.ok()) return bytes.status().message;
  if (sha256_hex(bytes.value()) != c.input_sha256) {
    return "input " + c.input_path + " does not have the recorded sha256 (generator or file drift)";
  }
  return "";
}

// The inputs of one case folder: each resolved, contained in the tree, materialised and checked.
class FolderInputs final : public CaseInputs {
public:
  FolderInputs(const Case& c, const fs::path& root, const std::string& cache_dir) : case_(c), root_(root), cache_(cache_dir) {}
  slm::Result<std::string> resolve(const json& input) override {
    Case other = case_;
    if (auto error = load_input(other, input, root_, cache_); !error.empty()) return case_error(error);
    return other.input_path;
  }

private:
  const Case& case_;
  fs::path root_;
  std::string cache_;
};

std::string load_case_json(const fs::path& root, const fs::path& case_dir, const std::string& cache_dir, Case& c) {
  const json j = json::parse(read_text(case_dir / "expected.json"), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return (case_dir / "expected.json").string() + ": not a JSON object";
  c.dir = fs::absolute(case_dir).string();
  if (!read_string(j, "id", c.id) || !read_string(j, "description", c.description) ||
      !read_string(j, "spec_version", c.spec_version)) {
    return "id, description and spec_version must be strings";
  }
  std::string op = "validate", level;
  if (!read_string(j, "op", op) || !read_string(j, "level", level) || !parse_level(level, c.level)) return c.id + ": bad op or level";
  for (const char* key : {"tags", "rules"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_array()) return std::string(key) + " is not an array";
    for (const auto& t : j[key]) {
      if (!t.is_string()) return std::string(key) + " holds a non-string";
      (std::string(key) == "tags" ? c.tags : c.rules).push_back(t.get<std::string>());
    }
  }
  if (!j.contains("expect") || !j["expect"].is_object()) return "expect is not an object";
  const json& e = j["expect"];
  std::string outcome;
  if (!read_string(e, "outcome", outcome) || (outcome != "accept" && outcome != "reject")) return "expect.outcome is not accept or reject";
  c.expect.accept = outcome == "accept";
  if (!c.expect.accept) {
    if (!e.contains("codes") || !e["codes"].is_array() || e["codes"].empty()) return "expect.codes is not a list of codes";
    for (const auto& code : e["codes"]) {
      if (!code.is_string()) return "expect.codes holds a non-string";
      c.expect.codes.push_back(code.get<std::string>());
    }
    if (!read_string(e, "rule", c.expect.rule) || !read_string(e, "phase", c.expect.phase)) return "expect.rule and phase must be strings";
    if (e.contains("offset") && e["offset"].is_number_unsigned()) c.expect.offset = e["offset"].get<std::uint64_t>();
    if (e.contains("step")) {
      if (!e["step"].is_number_unsigned()) return "expect.step is not an unsigned integer";
      c.expect.step = e["step"].get<std::uint64_t>();
    }
  }
  // The operation: its parameters (the parent and stack of adapter cases are inputs too, each with
  // its sha256) and what an acceptance must show.
  FolderInputs inputs(c, root, cache_dir);
  std::string error = "unknown op '" + op + "'";
  with_op_named(op, [&](auto o) {
    using B = Behaviour<decltype(o)>;
    auto params = B::read_case_params(j, inputs);
    if (!params.ok()) {
      error = params.status().message;
      return;
    }
    c.params = params.value();
    c.expect.on_accept = typename decltype(o)::Expect{};
    error.clear();
    if (!c.expect.accept) return;
    auto expect = B::read_case_expect(e);
    if (!expect.ok()) {
      error = expect.status().message;
      return;
    }
    c.expect.on_accept = expect.value();
  });
  if (!error.empty()) return error;
  if (!j.contains("input")) return "no input";
  return load_input(c, j["input"], root, cache_dir);
}

// A case tree may come from anywhere: a malformed expected.json is an error message, not a crash.
std::string load_case(const fs::path& root, const fs::path& case_dir, const std::string& cache_dir, Case& c) {
  try {
    return load_case_json(root, case_dir, cache_dir, c);
  } catch (const json::exception& e) {
    return (case_dir / "expected.json").string() + ": " + e.what();
  }
}

}  // namespace

bool parse_annotated_hex(const std::string& text, std::vector<std::uint8_t>& out, std::string& error) {
  std::istringstream lines(text);
  int line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    line = line.substr(0, line.find('#'));
    std::istringstream tokens(line);
    for (std::string token; tokens >> token;) {
      std::size_t repeat = 1;
      std::string_view byte = token;
      if (const auto star = token.find('*'); star != std::string::npos) {
        const auto [end, ec] = std::from_chars(token.data() + star + 1, token.data() + token.size(), repeat);
        if (ec != std::errc() || end != token.data() + token.size()) repeat = 0;
        byte = byte.substr(0, star);
      }
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(byte.data(), byte.data() + byte.size(), value, 16);
      if (byte.size() != 2 || ec != std::errc() || end != byte.data() + 2 || repeat == 0) {
        error = "line " + std::to_string(line_number) + ": '" + token + "' is not a hex byte (optionally *count)";
        return false;
      }
      if (repeat > kMaxHexBytes - out.size()) {  // larger inputs are generated from a recipe instead
        error = "line " + std::to_string(line_number) + ": decodes to more than 16 MiB";
        return false;
      }
      out.insert(out.end(), repeat, static_cast<std::uint8_t>(value));
    }
  }
  return true;
}

std::string load_cases(const std::string& dir, const std::string& cache_dir, std::vector<Case>& out) {
  const json manifest = json::parse(read_text(fs::path(dir) / "manifest.json"), nullptr, false);
  if (manifest.is_discarded() || !manifest.contains("cases")) return dir + "/manifest.json: missing or malformed";
  if (!manifest["cases"].is_array()) return dir + "/manifest.json: cases is not an array";
  for (const auto& entry : manifest["cases"]) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) return dir + "/manifest.json: a case without an id";
    const std::string id = entry["id"].get<std::string>();
    // A case that cannot be loaded is errored, and the run goes on (spec/protocol.md section 1).
    Case c;
    std::string error;
    if (id.empty() || fs::path(id).is_absolute() || id.find("..") != std::string::npos) error = "not a case id";
    else error = load_case(fs::path(dir), fs::path(dir) / id, cache_dir, c);
    if (error.empty() && c.id != id) error = "expected.json has id '" + c.id + "'";
    if (!error.empty()) {
      c = Case{};
      c.id = id;
      c.load_error = error;
    }
    out.push_back(std::move(c));
  }
  return "";
}

}  // namespace slmconf
