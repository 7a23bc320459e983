// Each `slm` subcommand is a function from parsed options to an exit status:
// 0 success / all accepted, 1 a file was rejected, 2 usage or I/O error.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <memory>
#include <optional>

#include "slm/adapter.h"
#include "slm/model_file.h"
#include "slmconf/runner.h"
#include "slmgen/recipe.h"

namespace slmcli {

inline constexpr int kExitOk = 0, kExitRejected = 1, kExitUsage = 2;

struct ValidateArgs {
  std::vector<std::string> files;
  bool json = false;
  bool verify_digest = false;
};
int run_validate(const ValidateArgs& args);

struct InspectArgs {
  std::string file;
  bool json = false;
};
int run_inspect(const InspectArgs& args);

struct GenModelArgs {
  slmgen::ModelRecipe recipe;
  std::string program;  // a program file (JSON) instead of a recipe: a programmed model
  std::string report;   // programmed: also write tokens and per-token margins as JSON here
  std::string output;
};
int run_gen_model(const GenModelArgs& args);

struct GenNegativesArgs {
  std::string output_dir;
};
int run_gen_negatives(const GenNegativesArgs& args);

struct GenerateArgs {
  std::string model, prompt;
  std::vector<std::string> adapters;  // applied in memory, in order, before generating
  std::uint32_t max_tokens = 64, top_k = 0, context = 0;
  float temperature = 0.0f, top_p = 1.0f;
  std::uint64_t seed = 0;
  std::uint32_t threads = 0;  // 0: every core
  bool json = false;
};
int run_generate(const GenerateArgs& args);

struct TokenizeArgs {
  std::string model, text;
  bool json = false, no_bos = false;
};
int run_tokenize(const TokenizeArgs& args);

// The model to run: the file, or the descendant its adapters make in memory, in order, all or
// nothing (spec/adapters.md). On failure `failed_file` names the file at fault (an adapter's label
// carries its place in the stack).
struct LoadedStack {
  std::shared_ptr<slm::LoadedModel> model;
  std::optional<slm::Lineage> lineage;  // with adapters
};
[[nodiscard]] slm::Result<LoadedStack> load_with_adapters(const std::string& model, const std::vector<std::string>& adapters,
                                                          std::string& failed_file);

struct EvalArgs {
  std::string model;
  std::vector<std::string> sets, adapters;
  std::string baseline, policy, output;
  std::uint32_t threads = 0;  // 0: every core
  bool json = false, progress = true;
};
int run_eval(const EvalArgs& args);

struct GateArgs {
  std::string sidecar, policy, baseline;
};
int run_gate(const GateArgs& args);

struct ScorecardArgs {
  std::vector<std::string> sidecars;
  std::string output;
};
int run_scorecard(const ScorecardArgs& args);

struct ConvertArgs {
  std::string from_llama2c, to_llama2c, tokenizer, output, dtype;
};
int run_convert(const ConvertArgs& args);

// slm adapter validate|inspect|apply, slm gen adapter (cmd_adapter.cpp)
struct AdapterArgs {
  std::string parent, output, lineage;
  std::vector<std::string> adapters;
  bool json = false;
};
int run_adapter_validate(const AdapterArgs& args);
int run_adapter_inspect(const AdapterArgs& args);
int run_adapter_apply(const AdapterArgs& args);

struct GenAdapterArgs {
  std::string kind = "dense", parent, output, fix_program;
  std::uint64_t seed = 1;
  std::uint32_t entries = 2;
};
int run_gen_adapter(const GenAdapterArgs& args);

int run_conform(const slmconf::RunnerOptions& options);
int run_conform_merge(const slmconf::MergeOptions& options);
int run_protocol(std::uint32_t threads);
int run_gen_cases(const std::string& output_dir);

struct KeyGenArgs {
  std::string output;  // KEY; KEY.pub beside it
};
int run_key_gen(const KeyGenArgs& args);

struct PacketArgs {
  std::string parent, key, packet, output, note, policy;
  std::vector<std::string> adapters, sets, sidecars, baselines, pubkeys;
  bool approve = false, reject = false, rerun = false, require_approval = false, json = false;
};
int run_packet_build(const PacketArgs& args);
int run_packet_sign(const PacketArgs& args);
int run_packet_verify(const PacketArgs& args);
int run_packet_show(const PacketArgs& args);

struct SiteKitArgs {
  std::string output, wasm;
  bool timestamps = false;
};
int run_site_kit(const SiteKitArgs& args);

}  // namespace slmcli
