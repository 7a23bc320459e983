// slm gen model / slm gen negatives
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "slm/atomic_file.h"
#include "commands.h"
#include "slm/writer.h"
#include "slmgen/model_gen.h"
#include "slmgen/negatives.h"

namespace slmcli {

int run_gen_model(const GenModelArgs& args) {
  auto options = slmgen::preset(args.preset);
  if (!options) {
    std::cerr << "slm gen model: unknown preset '" << args.preset << "'\n";
    return kExitUsage;
  }
  options->seed = args.seed;
  options->untied_output = options->untied_output || args.untied;
  if (!args.tokenizer.empty()) {
    if (args.tokenizer != "byte" && args.tokenizer != "bpe") {
      std::cerr << "slm gen model: --tokenizer must be byte or bpe\n";
      return kExitUsage;
    }
    options->tokenizer = args.tokenizer == "byte" ? slm::TokenizerKind::BYTE : slm::TokenizerKind::BPE;
  }
  if (!args.dtype.empty()) {
    slm::DType d;
    if (!slm::parse_dtype(args.dtype, d)) {
      std::cerr << "slm gen model: --dtype must be f32, q8_0 or q4_0\n";
      return kExitUsage;
    }
    options->embedding_dtype = options->attention_dtype = options->ffn_dtype = options->output_dtype = d;
  }
  auto& hp = options->hparams;
  if (args.layers) hp.n_layers = args.layers;
  if (args.dim) hp.dim = args.dim;
  if (args.hidden_dim) hp.hidden_dim = args.hidden_dim;
  if (options->tokenizer == slm::TokenizerKind::BYTE) hp.vocab_size = slm::kByteVocabSize;
  else if (args.vocab) hp.vocab_size = args.vocab;
  else if (hp.vocab_size <= slm::kByteVocabSize) hp.vocab_size = 300;
  if (auto s = slm::validate_hparams(hp); !s.ok()) {
    std::cerr << "slm gen model: " << s.message << '\n';
    return kExitUsage;
  }
  const auto bytes = slm::write_model(slmgen::generate_model(*options));
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
  std::cout << args.output << ": " << bytes.size() << " bytes (preset " << args.preset << ", seed " << args.seed << ")\n";
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
