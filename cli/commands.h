// Each `slm` subcommand is a function from parsed options to an exit status:
// 0 success / all accepted, 1 a file was rejected, 2 usage or I/O error.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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
  std::string preset = "tiny";
  std::string output;
  std::uint64_t seed = 1;
  std::string tokenizer;  // "", "byte" or "bpe": overrides the preset
  std::string dtype;      // "", "f32", "q8_0" or "q4_0": every matrix, overriding the preset
  bool untied = false;
  std::uint32_t layers = 0, dim = 0, hidden_dim = 0, vocab = 0;  // 0: the preset's
};
int run_gen_model(const GenModelArgs& args);

struct GenNegativesArgs {
  std::string output_dir;
};
int run_gen_negatives(const GenNegativesArgs& args);

}  // namespace slmcli
