// `slm`: the command-line front of the reference library. Parsing only; work happens in cmd_*.cpp.
#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"slm: SLM1 reference tools (validate, inspect, generate)"};
  app.require_subcommand(1);

  slmcli::ValidateArgs validate;
  auto* v = app.add_subcommand("validate", "Validate .slm files; exit 0 if all are accepted, 1 if any is rejected");
  v->add_option("files", validate.files, "files to validate")->required();
  v->add_flag("--json", validate.json, "one JSON object per file (spec/schemas/validate-result.schema.json)");
  v->add_flag("--digest", validate.verify_digest, "also verify the SHA-256 content digest (check 50)");

  slmcli::InspectArgs inspect;
  auto* i = app.add_subcommand("inspect", "Show header, identity, sections, tensors and tokenizer of a .slm file");
  i->add_option("file", inspect.file, "file to inspect")->required();
  i->add_flag("--json", inspect.json, "JSON output (spec/schemas/inspect.schema.json)");

  auto* gen = app.add_subcommand("gen", "Deterministic generators");
  gen->require_subcommand(1);
  slmcli::GenModelArgs model;
  auto* gm = gen->add_subcommand("model", "Write a random-weight model package");
  gm->add_option("--preset", model.preset, "tiny | small | stories15m")->capture_default_str();
  gm->add_option("-o,--output", model.output, "output .slm file")->required();
  gm->add_option("--seed", model.seed, "PRNG seed")->capture_default_str();
  gm->add_option("--tokenizer", model.tokenizer, "byte | bpe (default: the preset's)");
  gm->add_option("--dtype", model.dtype, "f32 | q8_0 | q4_0 for every matrix (default: the preset's mix)");
  gm->add_flag("--untied", model.untied, "store a separate output.weight classifier");
  gm->add_option("--layers", model.layers, "override n_layers");
  gm->add_option("--dim", model.dim, "override dim");
  gm->add_option("--hidden-dim", model.hidden_dim, "override hidden_dim");
  gm->add_option("--vocab", model.vocab, "override vocab_size (BPE only)");
  slmcli::GenNegativesArgs negatives;
  auto* gn = gen->add_subcommand("negatives", "Write one file per rule violation, with expected codes");
  gn->add_option("-o,--output", negatives.output_dir, "output directory")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : slmcli::kExitUsage;
  }
  if (*v) return slmcli::run_validate(validate);
  if (*i) return slmcli::run_inspect(inspect);
  if (*gm) return slmcli::run_gen_model(model);
  if (*gn) return slmcli::run_gen_negatives(negatives);
  return slmcli::kExitUsage;
}
