// slm site-kit -o DIR: the whole breeding loop as static files a reader can open (spec/packet.md,
// issue "site kit"): mock packages, adapter manifests, an eval set, sidecars, a scorecard, a signed
// and reviewed release packet with its verification, a tampered copy, schemas, the WASM build and
// the page that runs the loop live. Deterministic: no timestamps unless --timestamps. Written into
// a temporary sibling folder and renamed into place at the end, so DIR appears whole or not at all.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "report.h"
#include "slm/adapter.h"
#include "slm/byte_sink.h"
#include "slm/descendant.h"
#include "slm/model_file.h"
#include "slm/output_set.h"
#include "slm/sha256.h"
#include "slm/validate.h"
#include "slm/writer.h"
#include "slmconf/identity_json.h"
#include "slmconf/programs.h"
#include "slmeval/eval.h"
#include "slmgen/fix_adapter.h"
#include "slmgen/program.h"
#include "slmpacket/packet.h"

namespace slmcli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Bytes = std::vector<std::uint8_t>;

slm::Status fail(slm::ErrorCode code, const std::string& message) { return slm::make_error(code, slm::kNoOffset, message); }

slm::Result<std::string> read_source(const std::string& relative) {
  std::ifstream in(std::string(SLM_SOURCE_DIR) + "/" + relative, std::ios::binary);
  if (!in) return fail(slm::ErrorCode::E_IO_READ, std::string(SLM_SOURCE_DIR) + "/" + relative + " cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

// What the kit writes, in order, with the schema each JSON file follows.
struct KitFile {
  std::string path, what, schema;
  Bytes bytes;
};

class Kit {
public:
  void add(std::string path, Bytes bytes, std::string what, std::string schema = "") {
    files_.push_back({std::move(path), std::move(what), std::move(schema), std::move(bytes)});
  }
  void add_text(std::string path, const std::string& text, std::string what, std::string schema = "") {
    add(std::move(path), bytes_of(text), std::move(what), std::move(schema));
  }
  // Writes every file under `root` (folders made as needed).
  slm::Status write(const fs::path& root) const {
    for (const auto& f : files_) {
      std::error_code ec;
      fs::create_directories((root / f.path).parent_path(), ec);
      if (ec) return fail(slm::ErrorCode::E_IO_WRITE, (root / f.path).parent_path().string() + ": " + ec.message());
      if (auto s = slm::write_file_atomically((root / f.path).string(), f.bytes); !s.ok()) return s;
    }
    return {};
  }
  json index() const {
    json files = json::array();
    for (const auto& f : files_) {
      files.push_back({{"path", f.path}, {"sha256", slm::to_hex(slm::sha256(f.bytes))}, {"bytes", f.bytes.size()},
                       {"schema", f.schema.empty() ? json(nullptr) : json(f.schema)}, {"what", f.what}});
    }
    return files;
  }
  std::uint64_t total_bytes() const {
    std::uint64_t n = 0;
    for (const auto& f : files_) n += f.bytes.size();
    return n;
  }

private:
  std::vector<KitFile> files_;
};

json package_json(const std::string& file, const Bytes& bytes, const slm::ModelInfo& info, const std::optional<slm::Lineage>& lineage,
                  const std::string& description) {
  json tensors = json::array();
  for (const auto& t : info.tensors) {
    tensors.push_back({{"name", t.name}, {"dtype", slm::dtype_name(t.dtype)}, {"shape", t.shape()}, {"byte_size", t.byte_size}});
  }
  return {{"slm_package", 1},
          {"file", file},
          {"description", description},
          {"sha256", slm::to_hex(slm::sha256(bytes))},
          {"file_bytes", bytes.size()},
          {"identity", slmconf::identity_json(info.header.identity)},
          {"hyperparameters", slmconf::hyperparameters_json(info.header.hparams)},
          {"tensors_by_dtype", slmconf::tensors_by_dtype_json(info)},
          {"tensors", tensors},
          {"lineage", lineage ? slmconf::lineage_json(*lineage) : json(nullptr)}};
}

json manifest_json(const std::string& file, const Bytes& bytes, const slm::Adapter& a) {
  json targets = json::array();
  for (const auto& e : a.entries) {
    json t = {{"name", e.name}, {"shape", e.shape}};
    if (a.kind == slm::AdapterKind::SPARSE) t["nnz"] = e.indices.size();
    if (a.kind == slm::AdapterKind::LOW_RANK) t["rank"] = e.rank;
    targets.push_back(t);
  }
  return {{"slm_adapter_manifest", 1},
          {"file", file},
          {"sha256", slm::to_hex(slm::sha256(bytes))},
          {"file_bytes", bytes.size()},
          {"kind", slm::adapter_kind_name(a.kind)},
          {"content_digest", slm::to_hex(a.digest)},
          {"parent_identity", slmconf::identity_json(a.parent)},
          {"targets", targets}};
}

constexpr const char* kReadme = R"(# SLM site kit

The whole loop of a browser-local model, from a parent with a known bug to a signed, reviewed
release packet, with nothing to download beyond this folder. Open it with

    python3 -m http.server 8000 --bind 127.0.0.1 --directory THIS_FOLDER

and http://127.0.0.1:8000/index.html (file:// blocks module scripts). The page runs the loop live
in WebAssembly (slm_wasm.wasm through slm.mjs, spec/wasm-abi.md) and checks that what it computes
equals what the packet claims.

| path | what |
|---|---|
| packages/ | the parent (a programmed model that answers "2+2=" with "5") and its three descendants, with package metadata (model cards) |
| adapters/ | the dense, sparse and low-rank fixes bound to the parent, their manifests, and a tampered copy of the sparse fix |
| eval/ | the frozen eval set and the gate policy |
| evidence/ | the parent's sidecar (gate fails), the sparse descendant's (gate passes, no regression against the parent), the scorecard |
| packet.json | the release packet: an in-toto statement in a DSSE envelope, signed by the DEMO builder key and approved by the DEMO reviewer key (spec/packet.md) |
| verify.json | `slm packet verify --json` of it |
| packet.tampered.json, verify.tampered.json | a copy whose statement was edited after signing, and its failed verification |
| keys/ | the DEMO keys. They are derived from public strings: anyone can sign with them. Never use them for anything real |
| schemas/ | a JSON Schema for every JSON file here |
| kit.json | every file with its SHA-256, size and schema |

Check it yourself: `slm packet verify packet.json --pubkey keys/DEMO-builder.pub --pubkey keys/DEMO-reviewer.pub --require-approval --rerun`.
)";

}  // namespace

int run_site_kit(const SiteKitArgs& args) {
  const std::string cmd = "site-kit";
  if (args.output.empty()) return refuse(cmd, fail(slm::ErrorCode::E_ARG_VALUE, "-o is empty"));
  const fs::path out = fs::absolute(args.output).lexically_normal();
  std::error_code ec;
  if (fs::exists(fs::symlink_status(out, ec))) return refuse(cmd, fail(slm::ErrorCode::E_OUT_EXISTS, out.string() + " exists: the kit goes into a new folder"));
  if (!fs::is_directory(out.parent_path(), ec)) return refuse(cmd, fail(slm::ErrorCode::E_OUT_NO_DIRECTORY, out.parent_path().string() + " is not a folder"));
  const std::string wasm_path = args.wasm.empty() ? std::string(SLM_SOURCE_DIR) + "/build/wasm/bin/slm_wasm.wasm" : args.wasm;
  auto wasm = slm::read_file_bytes(wasm_path);
  if (!wasm.ok()) return report_failure(cmd, wasm_path, slm::make_error(wasm.status().code, wasm.status().offset, wasm.status().message + " (make wasm-module builds it)"));

  Kit kit;
  for (const char* page : {"site/index.html", "site/site.mjs"}) {
    auto text = read_source(page);
    if (!text.ok()) return refuse(cmd, text.status());
    kit.add_text(fs::path(page).filename().string(), text.value(), "the page");
  }
  auto module = read_source("wasm/slm.mjs");
  if (!module.ok()) return refuse(cmd, module.status());
  kit.add_text("slm.mjs", module.value(), "the ES module over the WASM ABI");
  kit.add("slm_wasm.wasm", wasm.value(), "the reference runtime built for wasm32 (spec/wasm-abi.md)");
  kit.add_text("README.md", kReadme, "what is here");

  // The parent with its known bug, and the program its fixes aim at.
  auto buggy = slmconf::builtin_program("hello-buggy");
  auto fixed = slmconf::builtin_program("hello");
  if (!buggy.ok() || !fixed.ok()) return refuse(cmd, buggy.ok() ? fixed.status() : buggy.status());
  auto parent_model = slmgen::build_programmed_model(buggy.value());
  auto target = slmgen::build_programmed_model(fixed.value());
  if (!parent_model.ok() || !target.ok()) return refuse(cmd, parent_model.ok() ? target.status() : parent_model.status());
  const Bytes parent = slm::write_model(parent_model.value());
  auto parent_info = slm::validate_model(parent, {.verify_digest = true});
  if (!parent_info.ok()) return refuse(cmd, parent_info.status());
  kit.add("packages/parent.slm", parent, "the parent: a programmed model that answers \"2+2=\" with \"5\"");
  kit.add_text("packages/parent.json",
               package_json("parent.slm", parent, parent_info.value(), std::nullopt, "the parent, with a known bug: 2+2=5").dump(2) + "\n",
               "the parent's package metadata", "schemas/site-package.schema.json");

  struct Fix {
    slm::AdapterKind kind;
    std::string name, ext;
  };
  const Fix fixes[] = {{slm::AdapterKind::SPARSE, "sparse", "asp"}, {slm::AdapterKind::DENSE, "dense", "adp"},
                       {slm::AdapterKind::LOW_RANK, "low-rank", "alr"}};
  Bytes sparse_fix;
  for (const auto& f : fixes) {
    auto adapter = slmgen::make_fix_adapter(parent, target.value(), f.kind);
    if (!adapter.ok()) return refuse(cmd, adapter.status());
    const Bytes bytes = slm::write_adapter(adapter.value());
    auto decoded = slm::decode_adapter(bytes);
    if (!decoded.ok()) return refuse(cmd, decoded.status());
    const std::string file = "fix-" + f.name + "." + f.ext;
    kit.add("adapters/" + file, bytes, "the " + f.name + " fix, bound to the parent");
    kit.add_text("adapters/fix-" + f.name + ".json", manifest_json(file, bytes, decoded.value()).dump(2) + "\n",
                 "the " + f.name + " fix's manifest", "schemas/site-adapter-manifest.schema.json");
    const std::vector<std::span<const std::uint8_t>> stack = {bytes};
    slm::VectorSink sink;
    auto outcome = slm::apply_stack(parent, parent_info.value(), stack, &sink);
    if (!outcome.ok()) return refuse(cmd, outcome.status());
    auto info = slm::validate_model(sink.bytes());
    if (!info.ok()) return refuse(cmd, info.status());
    const std::string dfile = "descendant-" + f.name + ".slm";
    kit.add_text("packages/descendant-" + f.name + ".json",
                 package_json(dfile, sink.bytes(), info.value(), outcome->lineage, "the parent with the " + f.name + " fix applied").dump(2) + "\n",
                 "the " + f.name + " descendant's package metadata", "schemas/site-package.schema.json");
    kit.add("packages/" + dfile, sink.bytes(), "the parent with the " + f.name + " fix applied");
    if (f.kind == slm::AdapterKind::SPARSE) sparse_fix = bytes;
  }
  Bytes tampered = sparse_fix;
  tampered[tampered.size() / 2] ^= 0x01;  // one flipped bit in the payload: the checksum catches it
  kit.add("adapters/fix-sparse.tampered.asp", tampered, "the sparse fix with one bit flipped: refused (E_ADP_CHECKSUM)");

  // The eval set, the policy, the two sidecars and the scorecard.
  auto set_text = read_source("conformance/cases/eval/hello-parent/set.jsonl");
  if (!set_text.ok()) return refuse(cmd, set_text.status());
  const std::string policy_text = "{\"min_pass_percent\": 100, \"must_pass\": [\"sum\"], \"no_regression\": true}\n";
  kit.add_text("eval/hello.jsonl", set_text.value(), "the frozen eval set (spec/eval.md); the schema is each line's",
               "schemas/eval-set-line.schema.json");
  kit.add_text("eval/policy.json", policy_text, "the gate policy", "schemas/eval-policy.schema.json");
  auto set = slmeval::parse_set(set_text.value());
  if (!set.ok()) return refuse(cmd, set.status());
  auto policy = slmeval::parse_policy(policy_text, set.value());
  if (!policy.ok()) return refuse(cmd, policy.status());
  auto loaded_parent = slm::load_model(parent);
  if (!loaded_parent.ok()) return refuse(cmd, loaded_parent.status());
  auto parent_run = slmeval::run_eval(loaded_parent.value(), std::nullopt, set.value(), policy.value(), std::nullopt);
  if (!parent_run.ok()) return refuse(cmd, parent_run.status());
  if (!args.timestamps) parent_run->seconds = 0;  // no wall time unless asked: two runs give the same bytes
  const std::string parent_sidecar = slmeval::sidecar_text(parent_run.value(), "slm-reference", "0.1.0");
  auto parent_view = slmeval::parse_sidecar(parent_sidecar);
  if (!parent_view.ok()) return refuse(cmd, parent_view.status());
  const std::vector<std::span<const std::uint8_t>> sparse_stack = {sparse_fix};
  auto descendant = slm::descend(parent, parent_info.value(), sparse_stack);
  if (!descendant.ok()) return refuse(cmd, descendant.status());
  auto child_run = slmeval::run_eval(descendant->model, descendant->lineage, set.value(), policy.value(), parent_view->as_baseline);
  if (!child_run.ok()) return refuse(cmd, child_run.status());
  if (!args.timestamps) child_run->seconds = 0;
  const std::string child_sidecar = slmeval::sidecar_text(child_run.value(), "slm-reference", "0.1.0");
  auto child_view = slmeval::parse_sidecar(child_sidecar);
  if (!child_view.ok()) return refuse(cmd, child_view.status());
  kit.add_text("evidence/parent.sidecar.json", parent_sidecar, "the parent's evidence: the gate fails", "schemas/eval-sidecar.schema.json");
  kit.add_text("evidence/descendant-sparse.sidecar.json", child_sidecar,
               "the sparse descendant's evidence, the parent's as baseline: the gate passes", "schemas/eval-sidecar.schema.json");
  kit.add_text("evidence/scorecard.json", slmeval::scorecard_json({parent_view.value(), child_view.value()}), "parent and descendant side by side",
               "schemas/eval-scorecard.schema.json");
  kit.add_text("evidence/scorecard.md", slmeval::scorecard_markdown({parent_view.value(), child_view.value()}), "the scorecard for people");

  auto builder = slmpacket::demo_key("builder");
  auto reviewer = slmpacket::demo_key("reviewer");
  if (!builder.ok() || !reviewer.ok()) return refuse(cmd, builder.ok() ? reviewer.status() : builder.status());
  kit.add_text("keys/DEMO-builder.key", builder->private_pem(), "DEMO builder key, derived from a public string: not secret");
  kit.add_text("keys/DEMO-builder.pub", builder->public_pem(), "DEMO builder public key");
  kit.add_text("keys/DEMO-reviewer.key", reviewer->private_pem(), "DEMO reviewer key, derived from a public string: not secret");
  kit.add_text("keys/DEMO-reviewer.pub", reviewer->public_pem(), "DEMO reviewer public key");

  for (const char* schema : {"eval-policy", "eval-sidecar", "eval-scorecard", "eval-set-line", "packet", "packet-verify", "site-package",
                             "site-adapter-manifest", "site-kit", "validate-result"}) {
    const std::string name = std::string(schema) + ".schema.json";
    auto text = read_source("spec/schemas/" + name);
    if (!text.ok()) return refuse(cmd, text.status());
    kit.add_text("schemas/" + name, text.value(), "JSON Schema");
  }

  // Everything so far goes to disk first: the packet is built from the files it names.
  const fs::path stage = out.parent_path() / (out.filename().string() + ".tmp." + std::to_string(::getpid()));
  fs::remove_all(stage, ec);
  const auto discard = [&](const slm::Status& s) {
    fs::remove_all(stage, ec);
    return refuse(cmd, s);
  };
  if (auto s = kit.write(stage); !s.ok()) return discard(s);
  slmpacket::BuildInputs in;
  in.parent = (stage / "packages/parent.slm").string();
  in.adapters = {(stage / "adapters/fix-sparse.asp").string()};
  in.sets = {(stage / "eval/hello.jsonl").string()};
  in.policy = (stage / "eval/policy.json").string();
  in.sidecars = {(stage / "evidence/descendant-sparse.sidecar.json").string()};
  in.baselines = {(stage / "evidence/parent.sidecar.json").string()};
  in.packet_dir = stage.string();
  in.descendant_name = "packages/descendant-sparse.slm";
  auto packet = slmpacket::build_packet(in, builder.value());
  if (!packet.ok()) return discard(packet.status());
  auto reviewed = slmpacket::add_review(packet.value(), reviewer.value(), true,
                                        "DEMO review: lineage, evidence, regressions, diagnostics and rollback checked");
  if (!reviewed.ok()) return discard(reviewed.status());
  std::vector<slmpacket::Key> trusted;
  for (auto* k : {&builder, &reviewer}) {
    auto pub = slmpacket::Key::from_public_pem(k->value().public_pem());
    if (!pub.ok()) return discard(pub.status());
    trusted.push_back(std::move(pub.value()));
  }
  const auto report = slmpacket::verify_packet(reviewed.value(), stage.string(), trusted, {.rerun = true, .require_approval = true});
  if (!report.verified()) return discard(fail(slm::ErrorCode::E_PKT_FORMAT, "the kit's own packet does not verify:\n" + report.text()));
  // The tampered copy: the statement edited after signing (the parent's SHA-256 claimed as another).
  auto file = nlohmann::json::parse(reviewed.value());
  std::vector<std::uint8_t> payload;
  if (!slmpacket::base64_decode(file["envelope"]["payload"].get<std::string>(), payload)) return discard(fail(slm::ErrorCode::E_PKT_FORMAT, "payload"));
  std::string statement(payload.begin(), payload.end());
  const auto at = statement.find("\"file_bytes\":");
  if (at == std::string::npos) return discard(fail(slm::ErrorCode::E_PKT_FORMAT, "no file_bytes in the statement"));
  statement.insert(at + 13, "1");  // the descendant's size claimed ten times larger, or more
  file["envelope"]["payload"] = slmpacket::base64_encode(bytes_of(statement));
  const std::string tampered_packet = file.dump(2) + "\n";
  const auto tampered_report = slmpacket::verify_packet(tampered_packet, stage.string(), trusted, {});
  auto md = slmpacket::show_markdown(reviewed.value());
  auto html = slmpacket::show_html(reviewed.value());
  if (!md.ok() || !html.ok()) return discard(md.ok() ? html.status() : md.status());
  Kit release;
  release.add_text("packet.json", reviewed.value(), "the release packet: signed by the DEMO builder, approved by the DEMO reviewer",
                   "schemas/packet.schema.json");
  release.add_text("verify.json", report.json(), "its verification (--rerun --require-approval): verified", "schemas/packet-verify.schema.json");
  release.add_text("packet.md", md.value(), "the packet for people (slm packet show)");
  release.add_text("packet.html", html.value(), "the packet as a page, lineage as SVG");
  release.add_text("packet.tampered.json", tampered_packet, "a copy whose statement was edited after signing", "schemas/packet.schema.json");
  release.add_text("verify.tampered.json", tampered_report.json(),
                   "its verification: fails with " + std::string(slm::error_info(tampered_report.code()).name), "schemas/packet-verify.schema.json");
  if (auto s = release.write(stage); !s.ok()) return discard(s);
  json index = kit.index();
  for (const auto& f : release.index()) index.push_back(f);
  json kit_json = {{"slm_site_kit", 1}, {"files", index}};
  if (args.timestamps) {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    kit_json["generated"] = when;
  }
  if (auto s = slm::write_text_atomically((stage / "kit.json").string(), kit_json.dump(2) + "\n"); !s.ok()) return discard(s);
  // Whole or not at all: the finished folder takes its name last.
  if (::rename(stage.c_str(), out.c_str()) != 0) return discard(fail(slm::ErrorCode::E_IO_WRITE, out.string() + ": cannot rename the finished kit into place"));
  std::cout << out.string() << ": " << index.size() + 1 << " files, " << (kit.total_bytes() + release.total_bytes()) / 1024 << " KiB\n"
            << "  packet " << report.packet_digest << " verified; the tampered copy fails with "
            << slm::error_info(tampered_report.code()).name << "\n";
  return kExitOk;
}

}  // namespace slmcli
