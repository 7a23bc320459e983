// slm gen model / slm gen negatives
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "slm/atomic_file.h"
#include "commands.h"
#include "slm/writer.h"
#include "slmgen/model_gen.h"
#include "slmgen/recipe.h"
#include "slmgen/negatives.h"
#include "slmgen/program.h"
#include "slm/checksum.h"
#include "slm/model_file.h"
#include "slmconf/program_json.h"

namespace slmcli {

namespace {

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c)) : "\\x" + std::string{"0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
  return out;
}

int run_gen_programmed_model(const GenModelArgs& args) {
  auto text = slm::read_file_bytes(args.program);
  if (!text.ok()) {
    std::cerr << "slm gen model: " << text.status().message << '\n';
    return kExitUsage;
  }
  slmgen::ModelProgram program;
  std::string error;
  if (!slmconf::program_from_json_text(std::string(text.value().begin(), text.value().end()), program, error)) {
    std::cerr << "slm gen model: " << args.program << ": " << error << '\n';
    return kExitUsage;
  }
  if (!args.recipe.dtype.empty()) program.dtype = args.recipe.dtype;
  slm::ModelDescription model;
  std::vector<slmgen::ProgramOutcome> outcomes;
  if (!slmgen::build_programmed_model(program, model, error)) {
    std::cerr << "slm gen model: " << args.program << ": " << error << '\n';
    return kExitUsage;
  }
  const auto bytes = slm::write_model(model);
  // The evidence: the reference continues every prompt as programmed, by the required margin.
  if (!slmgen::check_programmed_model(program, bytes, outcomes, error)) {
    std::cerr << "slm gen model: " << args.program << ": the built model fails its program: " << error << '\n';
    return kExitUsage;
  }
  if (auto s = slm::write_file_atomically(args.output, bytes); !s.ok()) {
    std::cerr << "slm gen model: " << s.message << '\n';
    return kExitUsage;
  }
  if (!args.report.empty()) {
    nlohmann::ordered_json entries = nlohmann::ordered_json::array();
    for (std::size_t e = 0; e < outcomes.size(); ++e) {
      entries.push_back({{"prompt", program.entries[e].prompt},
                         {"continuation", program.entries[e].continuation},
                         {"prompt_tokens", outcomes[e].prompt_tokens},
                         {"continuation_tokens", outcomes[e].continuation_tokens},
                         {"margins", outcomes[e].margins},
                         {"min_margin", outcomes[e].min_margin}});
    }
    const nlohmann::ordered_json report = {{"model", args.output},
                                           {"content_digest", slm::to_hex(slm::content_digest(bytes))},
                                           {"min_margin_required", program.min_margin},
                                           {"entries", entries}};
    if (auto s = slm::write_text_atomically(args.report, report.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
        !s.ok()) {
      std::cerr << "slm gen model: " << s.message << '\n';
      return kExitUsage;
    }
  }
  std::cout << args.output << ": " << bytes.size() << " bytes, programmed (" << program.dtype << ", "
            << program.tokenizer << " tokenizer, " << program.layers << " layers)\n";
  for (std::size_t e = 0; e < outcomes.size(); ++e) {
    std::cout << "  \"" << printable(program.entries[e].prompt) << "\" -> \"" << printable(program.entries[e].continuation)
              << "\"  (" << outcomes[e].continuation_tokens.size() << " tokens incl. EOS, min logit margin "
              << outcomes[e].min_margin << ")\n";
  }
  return kExitOk;
}

}  // namespace

int run_gen_model(const GenModelArgs& args) {
  if (!args.program.empty()) return run_gen_programmed_model(args);
  slmgen::ModelOptions options;
  std::string error;
  if (!slmgen::resolve_recipe(args.recipe, options, error)) {
    std::cerr << "slm gen model: " << error << '\n';
    return kExitUsage;
  }
  const auto bytes = slm::write_model(slmgen::generate_model(options));
  if (auto s = slm::validate_model(bytes); !s.ok()) {
    // e.g. a quantized dtype with a dim that is not a multiple of 32
    std::cerr << "slm gen model: these options give an invalid model: " << slm::error_info(s.status().code).name
              << ": " << s.status().message << '\n';
    return kExitUsage;
  }
  if (auto s = slm::write_file_atomically(args.output, bytes); !s.ok()) {
    std::cerr << "slm gen model: " << s.message << '\n';
    return kExitUsage;
  }
  std::cout << args.output << ": " << bytes.size() << " bytes (preset " << args.recipe.preset << ", seed "
            << args.recipe.seed << ")\n";
  return kExitOk;
}

int run_gen_negatives(const GenNegativesArgs& args) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(args.output_dir, ec);
  if (ec) {
    std::cerr << "slm gen negatives: " << args.output_dir << ": " << ec.message() << '\n';
    return kExitUsage;
  }
  nlohmann::json manifest = nlohmann::json::array();
  for (const auto& c : slmgen::make_negatives()) {
    const fs::path file = fs::path(args.output_dir) / (c.id + ".slm");
    fs::create_directories(file.parent_path(), ec);
    if (auto s = slm::write_file_atomically(file.string(), c.bytes); ec || !s.ok()) {
      std::cerr << "slm gen negatives: cannot write " << file << '\n';
      return kExitUsage;
    }
    const auto& row = slm::error_info(c.expected);
    manifest.push_back({{"id", c.id},
                        {"file", c.id + ".slm"},
                        {"expected", row.name},
                        {"rule", row.rule},
                        {"phase", slm::phase_name(row.phase)},
                        {"verify_digest", c.verify_digest},
                        {"description", c.description}});
  }
  if (auto s = slm::write_text_atomically((fs::path(args.output_dir) / "manifest.json").string(), manifest.dump(2) + "\n");
      !s.ok()) {
    std::cerr << "slm gen negatives: " << s.message << '\n';
    return kExitUsage;
  }
  std::cout << args.output_dir << ": " << manifest.size() << " negative files and manifest.json\n";
  return kExitOk;
}

}  // namespace slmcli
