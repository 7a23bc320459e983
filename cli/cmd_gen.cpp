// slm gen model / slm gen negatives
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "report.h"
#include "slm/checksum.h"
#include "slm/model_file.h"
#include "slm/output_set.h"
#include "slm/writer.h"
#include "slmconf/program_json.h"
#include "slmgen/model_gen.h"
#include "slmgen/negatives.h"
#include "slmgen/program.h"
#include "slmgen/recipe.h"

namespace slmcli {

namespace {

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c)) : "\\x" + std::string{"0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
  return out;
}

int run_gen_programmed_model(const GenModelArgs& args) {
  const char* command = "gen model";
  // Inputs and outputs first: nothing is built for an output that would overwrite an input.
  slm::OutputSet out;
  out.input(args.program);
  const auto model_out = out.output(args.output);
  const auto report_out = args.report.empty() ? 0 : out.output(args.report);
  if (auto s = out.prepare(); !s.ok()) return refuse(command, s);

  auto text = slm::read_file_bytes(args.program);
  if (!text.ok()) return report_failure(command, args.program, text.status());
  auto parsed = slmconf::program_from_json_text(std::string(text.value().begin(), text.value().end()));
  if (!parsed.ok()) return report_failure(command, args.program, parsed.status());
  slmgen::ModelProgram& program = parsed.value();
  if (!args.recipe.dtype.empty()) program.dtype = args.recipe.dtype;
  const auto model = slmgen::build_programmed_model(program);
  if (!model.ok()) return report_failure(command, args.program, model.status());
  const auto bytes = slm::write_model(model.value());
  // The evidence: the reference continues every prompt as programmed, by the required margin.
  auto checked = slmgen::check_programmed_model(program, bytes);
  if (!checked.ok()) {
    slm::Status s = checked.status();
    s.message = "the built model fails its program: " + s.message;
    return report_failure(command, args.program, s);
  }
  const std::vector<slmgen::ProgramOutcome>& outcomes = checked.value();
  if (auto s = out.write(model_out, bytes); !s.ok()) return report_failure(command, "", s);
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
    const auto text_out = report.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    if (auto s = out.write(report_out, text_out); !s.ok()) return report_failure(command, "", s);
  }
  if (auto s = out.commit(); !s.ok()) return report_failure(command, "", s);
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
  const char* command = "gen model";
  if (!args.program.empty()) return run_gen_programmed_model(args);
  if (!args.report.empty()) {
    return refuse(command, slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset, "--report needs --program"));
  }
  // Every limit before anything is allocated (spec/tools.md, SLM-TOOL-007; format.md check 10).
  auto options = slmgen::resolve_recipe(args.recipe);
  if (!options.ok()) return refuse(command, options.status());
  slm::OutputSet out;
  const auto model_out = out.output(args.output);
  if (auto s = out.prepare(); !s.ok()) return refuse(command, s);
  const auto bytes = slm::write_model(slmgen::generate_model(options.value()));
  if (auto s = slm::validate_model(bytes); !s.ok()) return refuse(command, s.status());  // a guard: the recipe checks cover it
  if (auto s = out.write(model_out, bytes); !s.ok()) return report_failure(command, "", s);
  if (auto s = out.commit(); !s.ok()) return report_failure(command, "", s);
  std::cout << args.output << ": " << bytes.size() << " bytes (preset " << args.recipe.preset << ", seed "
            << args.recipe.seed << ")\n";
  return kExitOk;
}

int run_gen_negatives(const GenNegativesArgs& args) {
  namespace fs = std::filesystem;
  const char* command = "gen negatives";
  const auto cases = slmgen::make_negatives();
  // The folder and its sub-folders are this command's output: made here, removed again on failure.
  std::vector<fs::path> made;
  const auto make_dirs = [&](const fs::path& dir) {
    std::vector<fs::path> missing;
    for (fs::path p = dir; !p.empty() && !fs::exists(p); p = p.parent_path()) missing.push_back(p);
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      std::error_code ec;
      if (!fs::create_directory(*it, ec) && ec) return false;
      made.push_back(*it);
    }
    return true;
  };
  const auto fail = [&](const slm::Status& s) {
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      std::error_code ec;
      fs::remove(*it, ec);  // only if empty: nothing of the user's is in a folder made here
    }
    return report_failure(command, "", s);
  };
  slm::OutputSet out;
  std::vector<slm::OutputSet::Id> ids;
  for (const auto& c : cases) {
    const fs::path file = fs::path(args.output_dir) / (c.id + ".slm");
    if (!make_dirs(file.parent_path())) {
      return fail(slm::make_error(slm::ErrorCode::E_OUT_NO_DIRECTORY, slm::kNoOffset, file.parent_path().string() + ": cannot be made"));
    }
    ids.push_back(out.output(file.string()));
  }
  const auto manifest_out = out.output((fs::path(args.output_dir) / "manifest.json").string());
  if (auto s = out.prepare(); !s.ok()) return fail(s);
  nlohmann::json manifest = nlohmann::json::array();
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const auto& c = cases[k];
    if (auto s = out.write(ids[k], c.bytes); !s.ok()) return fail(s);
    const auto& row = slm::error_info(c.expected);
    manifest.push_back({{"id", c.id},
                        {"file", c.id + ".slm"},
                        {"expected", row.name},
                        {"rule", row.rule},
                        {"phase", slm::phase_name(row.phase)},
                        {"verify_digest", c.verify_digest},
                        {"description", c.description}});
  }
  if (auto s = out.write(manifest_out, manifest.dump(2) + "\n"); !s.ok()) return fail(s);
  if (auto s = out.commit(); !s.ok()) return fail(s);
  std::cout << args.output_dir << ": " << manifest.size() << " negative files and manifest.json\n";
  return kExitOk;
}

}  // namespace slmcli
