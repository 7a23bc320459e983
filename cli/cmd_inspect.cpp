// slm inspect FILE [--json]
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "json_views.h"
#include "report.h"
#include "slm/validate.h"

namespace slmcli {

int run_inspect(const InspectArgs& args) {
  auto source = slm::FileSource::open(args.file);
  slm::Result<slm::ModelInfo> info = source.status();
  if (source.ok()) info = slm::validate_model(*source.value());
  if (!info.ok()) {
    if (args.json) {
      std::cout << nlohmann::json{{"file", args.file}, {"ok", false}, {"error", error_json(info.status())}}.dump(2) << '\n';
    } else {
      std::cerr << error_line(args.file, info.status()) << '\n';
    }
    return exit_status_for(info.status());
  }
  const nlohmann::json j = model_info_json(info.value());
  if (args.json) {
    nlohmann::json out = {{"file", args.file}, {"ok", true}, {"model", j}};
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  const auto& hp = j["hyperparameters"];
  const auto& id = j["identity"];
  std::cout << args.file << ": SLM1 v" << j["format_version"] << ", " << j["file_length"] << " bytes, checksum "
            << j["checksum"].get<std::string>() << "\n"
            << "  model     vocab " << hp["vocab_size"] << ", dim " << hp["dim"] << ", hidden " << hp["hidden_dim"]
            << ", layers " << hp["n_layers"] << ", heads " << hp["n_heads"] << "/" << hp["n_kv_heads"] << " kv, seq "
            << hp["max_seq_len"] << ", eps " << hp["norm_eps"] << ", theta " << hp["rope_theta"]
            << (j["flags"]["untied_output"].get<bool>() ? ", untied output" : ", tied output") << "\n"
            << "  identity  " << id["parameter_count"] << " parameters, " << id["tensor_count"] << " tensors, layout "
            << id["layout_checksum"].get<std::string>() << ", tokenizer " << id["tokenizer_checksum"].get<std::string>()
            << "\n            digest " << id["content_digest"].get<std::string>() << "\n"
            << "  tokenizer " << j["tokenizer"]["kind"].get<std::string>() << ", " << j["tokenizer"]["n_pieces"]
            << " pieces, bos " << j["tokenizer"]["bos_id"] << ", eos " << j["tokenizer"]["eos_id"] << "\n"
            << "  sections  tokenizer @" << j["sections"]["tokenizer"]["offset"] << "+"
            << j["sections"]["tokenizer"]["length"] << ", directory @" << j["sections"]["directory"]["offset"] << "+"
            << j["sections"]["directory"]["length"] << ", data @" << j["sections"]["data"]["offset"] << "+"
            << j["sections"]["data"]["length"] << "\n  tensors\n";
  for (const auto& t : j["tensors"]) {
    std::string shape;
    for (const auto& d : t["shape"]) shape += (shape.empty() ? "" : " x ") + std::to_string(d.get<std::uint64_t>());
    char line[200];
    std::snprintf(line, sizeof line, "    %-34s %-5s %-14s @%-10llu %llu bytes\n", t["name"].get<std::string>().c_str(),
                  t["dtype"].get<std::string>().c_str(), shape.c_str(),
                  static_cast<unsigned long long>(t["offset"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(t["bytes"].get<std::uint64_t>()));
    std::cout << line;
  }
  return kExitOk;
}

}  // namespace slmcli
