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

std::string sha256_hex(const std::vector<std::uint8_t>& bytes) { return slm::to_hex(slm::sha256(bytes)); }

// An input never leaves the case tree (spec/protocol.md section 1): the path, with every symbolic
// link resolved, must lie inside the tree's root. Returns the path, or E_CASE_INVALID.
slm::Result<std::string> contained_path(const fs::path& root, const fs::path& case_dir, const json& name) {
  if (!name.is_string() || name.get<std::string>().empty()) return case_error("an input file name is not a non-empty string");
  const fs::path relative(name.get<std::string>());
  if (relative.is_absolute()) {
    return case_error("input " + relative.string() + " is an absolute path; inputs are relative to the case folder");
  }
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(case_dir / relative, ec);
  const fs::path base = fs::weakly_canonical(root, ec);
  const auto [b, r] = std::mismatch(base.begin(), base.end(), resolved.begin(), resolved.end());
  if (ec || b != base.end()) {
    return case_error("input " + relative.string() + " resolves to " + resolved.string() + ", outside the case tree " +
                      base.string());
  }
  return (case_dir / relative).string();
}

// Writes `bytes` to cache_dir/<sha256>.slm once; the name makes stale entries impossible.
slm::Result<std::string> cache_input(const std::string& cache_dir, const std::vector<std::uint8_t>& bytes) {
  const fs::path path = fs::path(cache_dir) / (sha256_hex(bytes) + ".slm");
  if (fs::exists(path)) return path.string();
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (auto s = slm::write_file_atomically(path.string(), bytes); !s.ok()) return s;  // E_IO_WRITE
  return path.string();
}

// Resolves, materialises and checks one input: E_CASE_INVALID for a malformed or drifting input,
// E_IO_READ / E_IO_WRITE when a file cannot be read or the cache cannot be written.
slm::Status load_input(Case& c, const json& input, const fs::path& root, const std::string& cache_dir) {
  if (!input.is_object()) return case_error("an input is not an object");
  slm::Result<std::string> path = std::string();
  if (input.contains("file")) {
    path = contained_path(root, c.dir, input["file"]);
  } else if (input.contains("hex")) {
    const auto hex = contained_path(root, c.dir, input["hex"]);
    if (!hex.ok()) return hex.status();
    const auto bytes = parse_annotated_hex(read_text(hex.value()));
    if (!bytes.ok()) return bytes.status();
    path = cache_input(cache_dir, bytes.value());
  } else if (input.contains("generate")) {
    const auto recipe = recipe_from_json(input["generate"]);
    if (!recipe.ok()) return recipe.status();
    auto options = slmgen::resolve_recipe(recipe.value());  // every limit checked before anything is allocated
    if (!options.ok()) {
      return case_error("bad recipe: " + std::string(slm::error_info(options.status().code).name) + ": " +
                        options.status().message);
    }
    const auto bytes = slm::write_model(slmgen::generate_model(options.value()));
    path = cache_input(cache_dir, bytes);
  } else if (input.contains("program")) {
    const auto program_path = contained_path(root, c.dir, input["program"]);
    if (!program_path.ok()) return program_path.status();
    const auto program = program_from_json_text(read_text(program_path.value()));
    const auto model = program.ok() ? slmgen::build_programmed_model(program.value())
                                    : slm::Result<slm::ModelDescription>(program.status());
    if (!model.ok()) return case_error("bad program: " + model.status().message);
    path = cache_input(cache_dir, slm::write_model(model.value()));
  } else if (input.contains("absent")) {
    path = contained_path(root, c.dir, input["absent"]);
    if (!path.ok()) return path.status();
    c.input_path = path.value();
    return slm::Status::success();
  } else {
    return case_error("input has none of file, hex, generate, program, absent");
  }
  if (!path.ok()) return path.status();
  c.input_path = path.value();
  if (!input.contains("sha256") || !input["sha256"].is_string()) return case_error("input without a sha256 string");
  c.input_sha256 = input["sha256"].get<std::string>();
  auto bytes = slm::read_file_bytes(c.input_path);
  if (!bytes.ok()) return bytes.status();
  if (sha256_hex(bytes.value()) != c.input_sha256) {
    return case_error("input " + c.input_path + " does not have the recorded sha256 (generator or file drift)");
  }
  return slm::Status::success();
}

// The inputs of one case folder: each resolved, contained in the tree, materialised and checked.
class FolderInputs final : public CaseInputs {
public:
  FolderInputs(const Case& c, const fs::path& root, const std::string& cache_dir) : case_(c), root_(root), cache_(cache_dir) {}
  slm::Result<std::string> resolve(const json& input) override {
    Case other = case_;
    if (auto s = load_input(other, input, root_, cache_); !s.ok()) return case_error(s.message);
    return other.input_path;
  }

private:
  const Case& case_;
  fs::path root_;
  std::string cache_;
};

slm::Status load_case_json(const fs::path& root, const fs::path& case_dir, const std::string& cache_dir, Case& c) {
  const json j = json::parse(read_text(case_dir / "expected.json"), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return case_error((case_dir / "expected.json").string() + ": not a JSON object");
  c.dir = fs::absolute(case_dir).string();
  if (!read_string(j, "id", c.id) || !read_string(j, "description", c.description) ||
      !read_string(j, "spec_version", c.spec_version)) {
    return case_error("id, description and spec_version must be strings");
  }
  std::string op = "validate", level;
  if (!read_string(j, "op", op) || !read_string(j, "level", level) || !parse_level(level, c.level)) return case_error(c.id + ": bad op or level");
  for (const char* key : {"tags", "rules"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_array()) return case_error(std::string(key) + " is not an array");
    for (const auto& t : j[key]) {
      if (!t.is_string()) return case_error(std::string(key) + " holds a non-string");
      (std::string(key) == "tags" ? c.tags : c.rules).push_back(t.get<std::string>());
    }
  }
  if (!j.contains("expect") || !j["expect"].is_object()) return case_error("expect is not an object");
  const json& e = j["expect"];
  std::string outcome;
  if (!read_string(e, "outcome", outcome) || (outcome != "accept" && outcome != "reject")) return case_error("expect.outcome is not accept or reject");
  c.expect.accept = outcome == "accept";
  if (!c.expect.accept) {
    if (!e.contains("codes") || !e["codes"].is_array() || e["codes"].empty()) return case_error("expect.codes is not a list of codes");
    for (const auto& code : e["codes"]) {
      if (!code.is_string()) return case_error("expect.codes holds a non-string");
      c.expect.codes.push_back(code.get<std::string>());
    }
    if (!read_string(e, "rule", c.expect.rule) || !read_string(e, "phase", c.expect.phase)) return case_error("expect.rule and phase must be strings");
    if (e.contains("offset") && e["offset"].is_number_unsigned()) c.expect.offset = e["offset"].get<std::uint64_t>();
    c.expect.no_offset = e.contains("offset") && e["offset"].is_null();
    if (e.contains("step")) {
      if (!e["step"].is_number_unsigned()) return case_error("expect.step is not an unsigned integer");
      c.expect.step = e["step"].get<std::uint64_t>();
    }
  }
  // The operation: its parameters (the parent and stack of adapter cases are inputs too, each with
  // its sha256) and what an acceptance must show.
  FolderInputs inputs(c, root, cache_dir);
  slm::Status status = case_error("unknown op '" + op + "'");
  with_op_named(op, [&](auto o) {
    using B = Behaviour<decltype(o)>;
    auto params = B::read_case_params(j, inputs);
    if (!params.ok()) {
      status = params.status();
      return;
    }
    c.params = params.value();
    c.expect.on_accept = typename decltype(o)::Expect{};
    status = slm::Status::success();
    if (!c.expect.accept) return;
    auto expect = B::read_case_expect(j);
    if (!expect.ok()) {
      status = expect.status();
      return;
    }
    c.expect.on_accept = expect.value();
  });
  if (!status.ok()) return status;
  if (!j.contains("input")) return case_error("no input");
  return load_input(c, j["input"], root, cache_dir);
}

// A case tree may come from anywhere: a malformed expected.json is an error, not a crash.
slm::Status load_case(const fs::path& root, const fs::path& case_dir, const std::string& cache_dir, Case& c) {
  try {
    return load_case_json(root, case_dir, cache_dir, c);
  } catch (const json::exception& e) {
    return case_error((case_dir / "expected.json").string() + ": " + e.what());
  }
}

}  // namespace

bool parse_level(const std::string& s, Level& out) {
  if (s.size() != 2 || s[0] != 'L' || s[1] < '1' || s[1] > '5') return false;
  out = static_cast<Level>(s[1] - '0');
  return true;
}

slm::Result<std::string> case_tree_digest(const std::string& dir, const std::vector<Case>& cases) {
  std::ifstream probe(fs::path(dir) / "manifest.json", std::ios::binary);
  if (!probe) return slm::make_error(slm::ErrorCode::E_IO_READ, slm::kNoOffset, "cannot read " + dir + "/manifest.json");
  slm::Sha256 hash;
  const auto add = [&](const std::string& text) {
    const std::string framed = std::to_string(text.size()) + ":" + text;  // length-prefixed: no two trees collide by concatenation
    hash.update(std::span(reinterpret_cast<const std::uint8_t*>(framed.data()), framed.size()));
  };
  add(read_text(fs::path(dir) / "manifest.json"));
  for (const Case& c : cases) {
    add(c.id);
    // A case that cannot be loaded adds nothing: its id may point anywhere, and its error names paths.
    add(c.load_error.empty() ? read_text(fs::path(dir) / c.id / "expected.json") : std::string());
  }
  return slm::to_hex(hash.finish());
}

std::string case_ids_digest(const std::vector<std::string>& ids) {
  slm::Sha256 hash;
  for (const auto& id : ids) {
    const std::string line = id + "\n";
    hash.update(std::span(reinterpret_cast<const std::uint8_t*>(line.data()), line.size()));
  }
  return slm::to_hex(hash.finish());
}

slm::Result<std::vector<std::uint8_t>> parse_annotated_hex(const std::string& text) {
  std::vector<std::uint8_t> out;
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
        return case_error("line " + std::to_string(line_number) + ": '" + token + "' is not a hex byte (optionally *count)");
      }
      if (repeat > kMaxHexBytes - out.size()) {  // larger inputs are generated from a recipe instead
        return case_error("line " + std::to_string(line_number) + ": decodes to more than 16 MiB");
      }
      out.insert(out.end(), repeat, static_cast<std::uint8_t>(value));
    }
  }
  return out;
}

slm::Result<std::vector<Case>> load_cases(const std::string& dir, const std::string& cache_dir) {
  const std::string manifest_path = dir + "/manifest.json";
  const json manifest = json::parse(read_text(manifest_path), nullptr, false);
  if (manifest.is_discarded() || !manifest.contains("cases")) return case_error(manifest_path + ": missing or malformed");
  if (!manifest["cases"].is_array()) return case_error(manifest_path + ": cases is not an array");
  std::vector<Case> out;
  for (const auto& entry : manifest["cases"]) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) return case_error(manifest_path + ": a case without an id");
    const std::string id = entry["id"].get<std::string>();
    // A case that cannot be loaded is errored, and the run goes on (spec/protocol.md section 1).
    Case c;
    slm::Status status;
    if (id.empty() || fs::path(id).is_absolute() || id.find("..") != std::string::npos) status = case_error("not a case id");
    else status = load_case(fs::path(dir), fs::path(dir) / id, cache_dir, c);
    if (status.ok() && c.id != id) status = case_error("expected.json has id '" + c.id + "'");
    if (!status.ok()) {
      c = Case{};
      c.id = id;
      c.load_error = status.message;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace slmconf
