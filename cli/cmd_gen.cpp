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

namespace slmcli {

int run_gen_model(const GenModelArgs& args) {
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
