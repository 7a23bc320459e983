// `slm`: the command-line front of the reference library. Parsing only; work happens in cmd_*.cpp.
#include <CLI/CLI.hpp>

#include <cfloat>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "args.h"
#include "commands.h"
#include "report.h"

namespace {

// A numeric argument that failed its strict parse (SLM-TOOL-006); thrown out of CLI11's parse.
struct ArgumentError {
  slm::Status status;
};

// The flag's long name for messages: "--top-p" of "--top-p" or "-o,--output".
std::string flag_of(const std::string& names) {
  const auto comma = names.rfind(',');
  return comma == std::string::npos ? names : names.substr(comma + 1);
}

template <class T>
std::string shown(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

CLI::Option* add_u64(CLI::App* app, const std::string& names, std::uint64_t& target, slmcli::U64Range range,
                     const std::string& description) {
  return app
      ->add_option_function<std::string>(
          names,
          [&target, range, flag = flag_of(names)](const std::string& text) {
            if (auto s = slmcli::parse_u64(flag, text, range, target); !s.ok()) throw ArgumentError{s};
          },
          description)
      ->default_str(shown(target));
}

CLI::Option* add_u32(CLI::App* app, const std::string& names, std::uint32_t& target, slmcli::U64Range range,
                     const std::string& description) {
  return app
      ->add_option_function<std::string>(
          names,
          [&target, range, flag = flag_of(names)](const std::string& text) {
            if (auto s = slmcli::parse_u32(flag, text, range, target); !s.ok()) throw ArgumentError{s};
          },
          description)
      ->default_str(shown(target));
}

// An override that is either absent or given (zero included: the recipe refuses it).
CLI::Option* add_override(CLI::App* app, const std::string& names, std::optional<std::uint32_t>& target,
                          const std::string& description) {
  return app->add_option_function<std::string>(
      names,
      [&target, flag = flag_of(names)](const std::string& text) {
        std::uint32_t value = 0;
        if (auto s = slmcli::parse_u32(flag, text, {}, value); !s.ok()) throw ArgumentError{s};
        target = value;
      },
      description);
}

template <class F>
CLI::Option* add_f64(CLI::App* app, const std::string& names, F& target, slmcli::F64Range range,
                     const std::string& description) {
  return app
      ->add_option_function<std::string>(
          names,
          [&target, range, flag = flag_of(names)](const std::string& text) {
            double value = 0;
            if (auto s = slmcli::parse_f64(flag, text, range, value); !s.ok()) throw ArgumentError{s};
            target = static_cast<F>(value);
          },
          description)
      ->default_str(shown(target));
}

constexpr std::uint64_t kMaxContext = 1u << 20;  // max_seq_len's format limit (SLM-LIM-002)
constexpr std::uint64_t kMaxThreads = 256;        // slm::ThreadPool::kMaxThreads
constexpr const char* kThreadsHelp = "forward-pass threads, 0..256 (0 = every core); results do not depend on it";

}  // namespace

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
  auto& recipe = model.recipe;
  gm->add_option("--preset", recipe.preset, "tiny | small | stories15m | large")->capture_default_str();
  gm->add_option("-o,--output", model.output, "output .slm file")->required();
  add_u64(gm, "--seed", recipe.seed, {}, "PRNG seed (SplitMix64)");
  gm->add_option("--tokenizer", recipe.tokenizer, "byte | bpe | bpe-merges (default: the preset's)");
  gm->add_option("--dtype", recipe.dtype, "f32 | q8_0 | q4_0 for every matrix (default: the preset's mix)");
  gm->add_flag("--untied", recipe.untied, "store a separate output.weight classifier");
  add_override(gm, "--layers", recipe.layers, "override n_layers (1..1024)");
  add_override(gm, "--dim", recipe.dim, "override dim (1..65536)");
  add_override(gm, "--hidden-dim", recipe.hidden_dim, "override hidden_dim (1..262144)");
  add_override(gm, "--heads", recipe.heads, "override n_heads (1..1024, divides dim)");
  add_override(gm, "--kv-heads", recipe.kv_heads, "override n_kv_heads (1..1024, divides n_heads)");
  add_override(gm, "--vocab", recipe.vocab, "override vocab_size (BPE only, 259..1048576)");
  gm->add_option("--program", model.program,
                 "JSON program: build a model whose greedy continuations are the given texts (--dtype applies)");
  gm->add_option("--report", model.report, "with --program: write each entry's tokens and per-token logit margins as JSON");
  slmcli::GenNegativesArgs negatives;
  auto* gn = gen->add_subcommand("negatives", "Write one file per rule violation, with expected codes");
  gn->add_option("-o,--output", negatives.output_dir, "output directory")->required();

  std::string cases_dir;
  auto* gc = gen->add_subcommand("cases", "Write the generated conformance cases and the manifest");
  gc->add_option("-o,--output", cases_dir, "cases directory (hand-made cases in it are kept)")->required();

  slmconf::RunnerOptions conform;
  conform.cases_dir = "conformance/cases";
  conform.cache_dir = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp")) + "/slm-conform-cache";
  bool no_progress = false;
  auto* c = app.add_subcommand("conform", "Run the conformance cases against a runtime and write reports");
  c->add_option("--runtime", conform.runtime, "ref | cmd:<command line> | oneshot:<command line> | wasm:<module.wasm>")->capture_default_str();
  c->add_option("--cases", conform.cases_dir, "case tree")->capture_default_str();
  c->add_option("--only", conform.only, "glob over case ids, e.g. 'tensors/*' (repeatable: a case runs if it matches any)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--skip", conform.skip_files, "skip list file: one case id or glob per line (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--rerun-failed", conform.rerun_failed, "a report folder: run only the cases that did not pass there");
  c->add_flag("-v,--verbose", conform.verbose, "a line for every case, not only for those that did not pass");
  c->add_flag("--fail-fast", conform.fail_fast, "stop at the first case that does not pass");
  add_f64(c, "--timeout", conform.timeout_seconds, {0, 86400, false, true},
          "seconds per case and per 8 MiB of its input, (0, 86400]");
  c->add_option("--report", conform.report_dir, "report directory ('' for none)")->capture_default_str();
  c->add_option("--cache", conform.cache_dir, "where generated inputs are kept")->capture_default_str();
  c->add_flag("--no-progress", no_progress, "no progress bar (results are printed anyway)");
  add_u32(c, "--jobs", conform.jobs, {0, kMaxThreads},
          "runtimes run in parallel, 0..256 (0 = one per core; ref: threads); results do not depend on it");
  c->add_option_function<std::string>(
      "--shard",
      [&conform](const std::string& text) {
        if (auto s = slmcli::parse_shard("--shard", text, conform.shard); !s.ok()) throw ArgumentError{s};
      },
      "K/N: run the K-th of N parts of the selected cases (round-robin in manifest order)");
  const auto add_required_level = [](CLI::App* command, std::optional<slmconf::Level>& target) {
    command->add_option_function<std::string>(
        "--require-level",
        [&target](const std::string& text) {
          slmconf::Level level{};
          if (auto s = slmcli::parse_level("--require-level", text, level); !s.ok()) throw ArgumentError{s};
          target = level;
        },
        "L1..L5: exit 0 when every case passes each level up to this one (default: every case passes)");
  };
  add_required_level(c, conform.required);
  c->require_subcommand(0, 1);
  slmconf::MergeOptions merge;
  merge.cases_dir = conform.cases_dir;
  merge.cache_dir = conform.cache_dir;
  auto* cm = c->add_subcommand("merge", "Merge the report folders of the shards of one run (--shard K/N) into one report");
  cm->add_option("shards", merge.inputs, "the shards' report folders, each shard once")->required();
  cm->add_option("-o,--output", merge.output, "the merged report's folder (never one of the shards)")->required();
  cm->add_option("--cases", merge.cases_dir, "the case tree the shards ran")->capture_default_str();
  cm->add_option("--cache", merge.cache_dir, "where generated inputs are kept")->capture_default_str();
  add_required_level(cm, merge.required);

  slmcli::GenerateArgs generate;
  auto* g = app.add_subcommand("generate", "Generate text from a model (greedy unless --temperature > 0)");
  g->add_option("model", generate.model, ".slm file")->required();
  g->add_option("--prompt", generate.prompt, "prompt text")->capture_default_str();
  add_u32(g, "--max-tokens", generate.max_tokens, {0, kMaxContext}, "tokens to generate at most, 0..2^20");
  add_f64(g, "--temperature", generate.temperature, {0, FLT_MAX}, "0 = greedy; finite, >= 0");
  add_u32(g, "--top-k", generate.top_k, {0, kMaxContext}, "keep the k most probable tokens (0 = all)");
  add_f64(g, "--top-p", generate.top_p, {0, 1, false, true}, "nucleus: the shortest prefix reaching this mass, (0, 1]");
  add_u64(g, "--seed", generate.seed, {}, "xorshift64* seed, 0..2^64-1 (0 = the default seed)");
  add_u32(g, "--context", generate.context, {0, kMaxContext}, "KV cache positions (0 = max_seq_len)");
  add_u32(g, "--threads", generate.threads, {0, kMaxThreads}, kThreadsHelp);
  g->add_flag("--json", generate.json, "tokens, margins and diagnostics as JSON");
  g->add_option("--adapter", generate.adapters, "adapter to apply in memory first (repeatable, in order)");

  slmcli::TokenizeArgs tokenize;
  auto* tk = app.add_subcommand("tokenize", "Encode text with a model's tokenizer");
  tk->add_option("model", tokenize.model, ".slm file")->required();
  tk->add_option("text", tokenize.text, "text to encode")->required();
  tk->add_flag("--json", tokenize.json, "ids and their pieces as JSON");
  tk->add_flag("--no-bos", tokenize.no_bos, "do not add BOS");

  slmcli::EvalArgs eval;
  auto* ev = app.add_subcommand("eval", "Run eval sets on a model and write sidecars (spec/eval.md); exit 1 if a gate fails");
  ev->add_option("model", eval.model, ".slm file")->required();
  ev->add_option("sets", eval.sets, "eval set files (.jsonl)")->required();
  ev->add_option("--adapter", eval.adapters, "adapter applied in memory, in order (repeatable)");
  ev->add_option("--baseline", eval.baseline, "the parent's sidecar: a case it passed must pass (one set)");
  ev->add_option("--policy", eval.policy, "gate policy (JSON)");
  ev->add_option("-o,--output", eval.output, "sidecar to write (a directory for several sets)")->required();
  ev->add_flag("--json", eval.json, "print only the sidecars' paths");
  add_u32(ev, "--threads", eval.threads, {0, kMaxThreads}, kThreadsHelp);
  slmcli::GateArgs gate;
  auto* gt = app.add_subcommand("gate", "Re-judge a sidecar without running the model; exit 1 if the gate fails");
  gt->add_option("sidecar", gate.sidecar, "sidecar (JSON)")->required();
  gt->add_option("--policy", gate.policy, "another policy (JSON)");
  gt->add_option("--baseline", gate.baseline, "a baseline sidecar");
  slmcli::ScorecardArgs scorecard;
  auto* sc = app.add_subcommand("scorecard", "Sets x pass rate x verdict of several sidecars (JSON and Markdown)");
  sc->add_option("sidecars", scorecard.sidecars, "sidecars")->required();
  sc->add_option("-o,--output", scorecard.output, "OUT.json (OUT.md is written beside it)")->required();

  slmcli::ConvertArgs convert;
  auto* cv = app.add_subcommand("convert", "llama2.c checkpoint + tokenizer.bin <-> .slm");
  cv->add_option("--from-llama2c", convert.from_llama2c, "llama2.c float32 checkpoint to import");
  cv->add_option("--to-llama2c", convert.to_llama2c, ".slm (f32) to export");
  cv->add_option("--tokenizer", convert.tokenizer, "tokenizer.bin to read (import) or write (export)")->required();
  cv->add_option("-o,--output", convert.output, ".slm (import) or checkpoint (export) to write")->required();
  cv->add_option("--dtype", convert.dtype, "import: f32 | q8_0 | q4_0 for every matrix (reference quantizers)");

  slmcli::KeyGenArgs key_gen;
  auto* key = app.add_subcommand("key", "Ed25519 signing keys for release packets (spec/packet.md 2)");
  key->require_subcommand(1);
  auto* kg = key->add_subcommand("gen", "Write a new private key (0600) and KEY.pub; both must be new");
  kg->add_option("-o,--output", key_gen.output, "private key file (PEM)")->required();

  slmcli::PacketArgs packet;
  auto* pk = app.add_subcommand("packet", "Signed release packets: in-toto statements in DSSE envelopes (spec/packet.md)");
  pk->require_subcommand(1);
  auto* pkb = pk->add_subcommand("build", "Derive the descendant, run the eval sets, sign the statement");
  pkb->add_option("--parent", packet.parent, "the parent .slm")->required();
  pkb->add_option("--adapter", packet.adapters, "adapters, in stack order (repeatable)");
  pkb->add_option("--eval", packet.sets, "eval sets (repeatable)")->required();
  pkb->add_option("--policy", packet.policy, "gate policy for every set");
  pkb->add_option("--sidecar", packet.sidecars, "the descendant's sidecars, one per set (instead of running the eval)");
  pkb->add_option("--baseline", packet.baselines, "the baseline sidecars those name");
  pkb->add_option("--key", packet.key, "the builder's private key")->required();
  pkb->add_option("-o,--output", packet.output, "packet file to write")->required();
  auto* pks = pk->add_subcommand("sign", "Add the builder's signature, or a review (--approve/--reject), to a new file");
  pks->add_option("packet", packet.packet, "packet file")->required();
  pks->add_option("--key", packet.key, "private key")->required();
  pks->add_flag("--approve", packet.approve, "sign a review that approves");
  pks->add_flag("--reject", packet.reject, "sign a review that rejects");
  pks->add_option("--note", packet.note, "the reviewer's note");
  pks->add_option("-o,--output", packet.output, "the signed packet (never the input)")->required();
  auto* pkv = pk->add_subcommand("verify", "Check signatures, reviews and every claim; exit 0 verified, 1 failed, 2 error");
  pkv->add_option("packet", packet.packet, "packet file")->required();
  pkv->add_option("--pubkey", packet.pubkeys, "trusted public keys (repeatable)")->required();
  pkv->add_flag("--rerun", packet.rerun, "run every eval set again");
  pkv->add_flag("--require-approval", packet.require_approval, "a valid review must approve and none reject");
  pkv->add_flag("--json", packet.json, "the report as JSON");
  auto* pkw = pk->add_subcommand("show", "Markdown and a self-contained HTML page (OUT.html) of a packet");
  pkw->add_option("packet", packet.packet, "packet file")->required();
  pkw->add_option("-o,--output", packet.output, "OUT.md")->required();

  slmcli::SiteKitArgs site_kit;
  auto* sk = app.add_subcommand("site-kit", "Write the site kit: mock packages, adapters, eval evidence, a signed packet and the page");
  sk->add_option("-o,--output", site_kit.output, "a new folder")->required();
  sk->add_option("--wasm", site_kit.wasm, "the .wasm to ship (default: build/wasm/bin/slm_wasm.wasm of the source tree)");
  sk->add_flag("--timestamps", site_kit.timestamps, "record wall times (the kit is then no longer byte-identical between runs)");

  slmcli::AdapterArgs adapter;
  auto* ad = app.add_subcommand("adapter", "Adapters (ADP1 dense, ASP1 sparse, ALR1 low-rank) bound to a parent");
  ad->require_subcommand(1);
  auto* adv = ad->add_subcommand("validate", "Validate adapters against their parent (checks A1-A36)");
  adv->add_option("--parent", adapter.parent, "the parent .slm")->required();
  adv->add_option("adapters", adapter.adapters, "adapter files")->required();
  adv->add_flag("--json", adapter.json, "one JSON object per adapter");
  auto* adi = ad->add_subcommand("inspect", "Show an adapter's kind, binding and entries (checks A1-A28)");
  adi->add_option("adapter", adapter.adapters, "adapter file")->required()->expected(1);
  adi->add_flag("--json", adapter.json, "JSON output");
  auto* ada = ad->add_subcommand("apply", "Apply adapters in order, all or nothing, to a new file");
  ada->add_option("--parent", adapter.parent, "the parent .slm")->required();
  ada->add_option("adapters", adapter.adapters, "adapter files, in order")->required();
  ada->add_option("-o,--output", adapter.output, "descendant .slm (never an input)")->required();
  ada->add_option("--lineage", adapter.lineage, "also write the lineage as JSON here");
  ada->add_flag("--json", adapter.json, "identity and lineage as JSON");

  slmcli::GenAdapterArgs gen_adapter;
  auto* ga = gen->add_subcommand("adapter", "Write an adapter bound to a parent: random, or a fix towards a program");
  ga->add_option("--kind", gen_adapter.kind, "dense | sparse | lowrank")->capture_default_str();
  ga->add_option("--parent", gen_adapter.parent, "the parent .slm")->required();
  ga->add_option("-o,--output", gen_adapter.output, "adapter file")->required();
  add_u64(ga, "--seed", gen_adapter.seed, {}, "SplitMix64 seed (random adapters)");
  add_u32(ga, "--entries", gen_adapter.entries, {1, 16384}, "tensors to change (random adapters), 1..16384");
  ga->add_option("--fix", gen_adapter.fix_program,
                 "program file: the delta from a programmed parent to the model of this program");

  std::uint32_t protocol_threads = 0;
  auto* p = app.add_subcommand("protocol", "Speak the conformance protocol on stdin/stdout (the reference as a runtime)");
  add_u32(p, "--threads", protocol_threads, {0, kMaxThreads}, kThreadsHelp);

  try {
    app.parse(argc, argv);
  } catch (const ArgumentError& e) {
    return slmcli::refuse("", e.status);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : slmcli::kExitUsage;
  }
  if (*v) return slmcli::run_validate(validate);
  if (*i) return slmcli::run_inspect(inspect);
  if (*gm) return slmcli::run_gen_model(model);
  if (*gn) return slmcli::run_gen_negatives(negatives);
  if (*gc) return slmcli::run_gen_cases(cases_dir);
  if (*cm) {
    // conform's own options are not merge's: given before `merge`, they would be silently ignored
    for (const CLI::Option* option : c->get_options()) {
      if (option->count() > 0) {
        return slmcli::refuse("conform merge", slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset,
                                                               option->get_name() + " is an option of conform, not of merge"));
      }
    }
    return slmcli::run_conform_merge(merge);
  }
  if (*c) {
    conform.progress = !no_progress;
    return slmcli::run_conform(conform);
  }
  if (*p) return slmcli::run_protocol(protocol_threads);
  if (*g) return slmcli::run_generate(generate);
  if (*tk) return slmcli::run_tokenize(tokenize);
  // A path option given empty is an error, never "not given" (SLM-TOOL-006).
  for (auto [app_, option] : {std::pair{ev, "--policy"}, std::pair{ev, "--baseline"}, std::pair{gt, "--policy"},
                              std::pair{gt, "--baseline"}, std::pair{pkb, "--policy"}}) {
    if (*app_ && app_->count(option) > 0 && app_->get_option(option)->as<std::string>().empty()) {
      return slmcli::refuse(app_->get_name(), slm::make_error(slm::ErrorCode::E_ARG_VALUE, slm::kNoOffset,
                                                              std::string(option) + " is empty"));
    }
  }
  if (*ev) return slmcli::run_eval(eval);
  if (*gt) return slmcli::run_gate(gate);
  if (*sc) return slmcli::run_scorecard(scorecard);
  if (*cv) return slmcli::run_convert(convert);
  if (*adv) return slmcli::run_adapter_validate(adapter);
  if (*adi) return slmcli::run_adapter_inspect(adapter);
  if (*ada) return slmcli::run_adapter_apply(adapter);
  if (*ga) return slmcli::run_gen_adapter(gen_adapter);
  if (*kg) return slmcli::run_key_gen(key_gen);
  if (*sk) return slmcli::run_site_kit(site_kit);
  if (*pkb) return slmcli::run_packet_build(packet);
  if (*pks) return slmcli::run_packet_sign(packet);
  if (*pkv) return slmcli::run_packet_verify(packet);
  if (*pkw) return slmcli::run_packet_show(packet);
  return slmcli::kExitUsage;
}
