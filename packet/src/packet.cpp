#include "slmpacket/packet.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "slm/adapter.h"
#include "slm/byte_sink.h"
#include "slm/descendant.h"
#include "slm/model_file.h"
#include "slm/sha256.h"
#include "slmconf/identity_json.h"
#include "slmeval/eval.h"

namespace slmpacket {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using slm::ErrorCode;

namespace {

constexpr const char* kPayloadType = "application/vnd.in-toto+json";
constexpr const char* kStatementType = "https://in-toto.io/Statement/v1";
constexpr const char* kReleaseType = "https://slm-conformance.invalid/release-packet/v1";
constexpr const char* kReviewType = "https://slm-conformance.invalid/release-review/v1";
constexpr std::uint64_t kMaxPacketBytes = 256ull << 20;
const std::vector<std::string> kChecklist = {
    "lineage: the parent digest and each adapter are the ones intended",
    "evidence: every set's gate passed, and its reasons are understood",
    "regressions: no case the parent passed fails in the descendant",
    "diagnostics: model, KV cache and scratch bytes fit the target",
    "rollback: the parent file named in rollback is at hand and verifies"};

slm::Status error(ErrorCode code, const std::string& message) { return slm::make_error(code, slm::kNoOffset, message); }

std::string hex_sha256(std::span<const std::uint8_t> bytes) { return slm::to_hex(slm::sha256(bytes)); }
std::string hex_sha256(const std::string& text) {
  return hex_sha256(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}
std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A path as the packet records it: relative to the packet's folder, '/' separators.
slm::Result<std::string> relative_to(const std::string& path, const std::string& dir) {
  const fs::path rel = fs::absolute(path).lexically_normal().lexically_relative(fs::absolute(dir.empty() ? "." : dir).lexically_normal());
  if (rel.empty() || *rel.begin() == "..") {
    return error(ErrorCode::E_ARG_VALUE, path + " lies outside the packet's folder (packet.md 1: every file a packet names is in its folder's tree)");
  }
  return rel.generic_string();
}

// A recorded path resolved against the packet's folder; it must stay inside that folder's tree.
slm::Result<std::string> resolve(const std::string& recorded, const std::string& dir) {
  const fs::path rel(recorded);
  if (recorded.empty() || rel.is_absolute()) return error(ErrorCode::E_PKT_FORMAT, "path '" + recorded + "' is not relative");
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(fs::absolute(dir.empty() ? "." : dir), ec);
  const fs::path full = fs::weakly_canonical(root / rel, ec);
  const auto [r, f] = std::mismatch(root.begin(), root.end(), full.begin(), full.end());
  if (ec || r != root.end()) return error(ErrorCode::E_PKT_FORMAT, "path '" + recorded + "' leaves the packet's folder");
  return full.string();
}

slm::Result<std::string> read_text(const std::string& path, std::uint64_t max, ErrorCode too_large) {
  return slmeval::read_bounded(path, max, too_large);
}

slm::Result<std::string> canonical(const json& j) { return slmeval::canonicalize(j.dump()); }

// The resolved policy as R spells it (eval.md 6): every key, ceilings null when absent.
json policy_json(const slmeval::Policy& policy) {
  const auto ceiling = [](const std::optional<std::uint64_t>& v) { return v ? json(*v) : json(nullptr); };
  return {{"max_kv_cache_bytes", ceiling(policy.max_kv_cache_bytes)}, {"max_model_bytes", ceiling(policy.max_model_bytes)},
          {"max_scratch_bytes", ceiling(policy.max_scratch_bytes)}, {"min_pass_percent", policy.min_pass_percent},
          {"must_pass", policy.must_pass}, {"no_regression", policy.no_regression}};
}

// Equal as JSON values, whatever the key order (recorded statements are canonical: keys sorted).
bool same(const json& a, const json& b) {
  auto x = canonical(a), y = canonical(b);
  return x.ok() && y.ok() && x.value() == y.value();
}

json envelope_of(const std::string& payload, const Key& signer) {
  json sigs = json::array();
  auto sig = signer.sign(pae(kPayloadType, bytes_of(payload)));
  if (sig.ok()) sigs.push_back({{"keyid", signer.key_id()}, {"sig", base64_encode(sig.value())}});
  return {{"payloadType", kPayloadType}, {"payload", base64_encode(bytes_of(payload))}, {"signatures", sigs}};
}

std::string packet_text(const json& envelope, const json& reviews) {
  return json{{"slm_release_packet", 1}, {"envelope", envelope}, {"reviews", reviews}}.dump(2) + "\n";
}

// The reproducible part R of a sidecar and its digest, as the packet records both.
json reproducible_entry(const std::string& canonical_r) {
  return {{"reproducible_digest", hex_sha256(canonical_r)}, {"reproducible", json::parse(canonical_r)}};
}

// A sidecar text (eval.md 6) holding R, enough for parse_sidecar and regate.
std::string sidecar_text_of(const json& entry) {
  return json{{"slm_eval_sidecar", 1}, {"reproducible", entry["reproducible"]}, {"reproducible_digest", entry["reproducible_digest"]}}.dump();
}

json diagnostics_of(const slm::ModelInfo& info, std::size_t adapters) {
  const auto r = slmeval::resources_of(info);
  return {{"model_bytes", r.model_bytes},
          {"kv_cache_bytes", r.kv_cache_bytes},
          {"scratch_bytes", r.scratch_bytes},
          {"tensors_by_dtype", slmconf::tensors_by_dtype_json(info)},
          {"adapter_count", adapters}};
}

// What building and verifying both derive from the files: the parent, the stack, the descendant.
// The bytes are shared with the loaded models (load_owned): each file is held in memory once.
struct Derived {
  std::shared_ptr<const std::vector<std::uint8_t>> parent_bytes, descendant;
  slm::ModelInfo parent_info;
  std::vector<std::vector<std::uint8_t>> adapters;
  slm::StackOutcome outcome;
  std::shared_ptr<slm::LoadedModel> parent_model, descendant_model;
};

// Derives from bytes already read; `validated` is the parent's full validation when the caller has
// it (read_fully_validated), else it runs here. `failed`: 0 the parent, k >= 1 adapter k - 1.
slm::Result<Derived> derive(std::vector<std::uint8_t> parent, std::optional<slm::ModelInfo> validated,
                            std::vector<std::vector<std::uint8_t>> adapters, std::size_t& failed) {
  Derived d;
  failed = 0;
  if (!validated) {
    auto info = slm::validate_model(parent, {.verify_digest = true});  // adapters bind to its digest
    if (!info.ok()) return info.status();
    validated = std::move(info.value());
  }
  d.parent_info = std::move(*validated);
  d.parent_bytes = std::make_shared<const std::vector<std::uint8_t>>(std::move(parent));
  d.adapters = std::move(adapters);
  const std::vector<std::span<const std::uint8_t>> stack(d.adapters.begin(), d.adapters.end());
  slm::VectorSink sink;
  std::size_t at = slm::kNoAdapter;
  auto outcome = slm::apply_stack(*d.parent_bytes, d.parent_info, stack, &sink, &at);
  if (!outcome.ok()) {
    failed = at == slm::kNoAdapter ? 0 : at + 1;
    return outcome.status();
  }
  d.outcome = std::move(outcome.value());
  d.descendant = std::make_shared<const std::vector<std::uint8_t>>(std::move(sink.bytes()));
  auto pm = slm::load_owned(d.parent_bytes, *d.parent_bytes);
  if (!pm.ok()) return pm.status();
  d.parent_model = pm.value();
  auto dm = slm::load_owned(d.descendant, *d.descendant);
  if (!dm.ok()) return dm.status();
  d.descendant_model = dm.value();
  return d;
}

// The same from files, read as an adapter's parent and adapters must be (the parent validated by
// streaming before it is read whole, each adapter's header before its bytes).
slm::Result<Derived> derive_files(const std::string& parent, const std::vector<std::string>& adapters, std::size_t& failed) {
  failed = 0;
  slm::ModelInfo info;
  auto bytes = slm::read_fully_validated(parent, info);
  if (!bytes.ok()) return bytes.status();
  std::vector<std::vector<std::uint8_t>> stack;
  for (std::size_t k = 0; k < adapters.size(); ++k) {
    failed = k + 1;
    auto a = slm::read_adapter_file(adapters[k]);
    if (!a.ok()) return a.status();
    stack.push_back(std::move(a.value()));
  }
  return derive(std::move(bytes.value()), std::move(info), std::move(stack), failed);
}

// The baseline a no-regression gate compares with: the parent's evidence on the same set.
slm::Result<std::pair<json, slmeval::Baseline>> parent_baseline(const Derived& d, const slmeval::EvalSet& set,
                                                                 const slmeval::Policy& policy) {
  auto e = slmeval::run_eval(d.parent_model, std::nullopt, set, policy, std::nullopt);
  if (!e.ok()) return e.status();
  const json entry = reproducible_entry(slmeval::reproducible_canonical(e.value()));
  auto view = slmeval::parse_sidecar(sidecar_text_of(entry));
  if (!view.ok()) return view.status();
  return std::make_pair(entry, view->as_baseline);
}

}  // namespace

slm::Result<Key> demo_key(std::string_view role) {
  const std::string phrase = "slm site kit DEMO key, not secret: " + std::string(role);
  return Key::from_seed(slm::sha256(bytes_of(phrase)));
}

slm::Result<std::string> build_packet(const BuildInputs& in, const Key& builder) {
  if (!builder.has_private()) return error(ErrorCode::E_PKT_KEY, "the builder's key must be a private key");
  if (!in.sidecars.empty() && in.sidecars.size() != in.sets.size()) {
    return error(ErrorCode::E_ARG_VALUE, "give one --sidecar per --eval set, in the same order, or none");
  }
  std::size_t failed = 0;
  auto derived = derive_files(in.parent, in.adapters, failed);
  if (!derived.ok()) return derived.status();
  const Derived& d = derived.value();
  const auto& id = d.outcome.identity;

  std::optional<std::string> policy_text;
  if (in.policy) {
    auto t = read_text(*in.policy, slmeval::kMaxPolicyBytes, ErrorCode::E_EVAL_POLICY);
    if (!t.ok()) return t.status();
    policy_text = t.value();
  }
  json evidence = json::array();
  std::vector<slmeval::SidecarView> views;
  for (std::size_t i = 0; i < in.sets.size(); ++i) {
    auto text = read_text(in.sets[i], 64ull << 20, ErrorCode::E_EVAL_SET);
    if (!text.ok()) return text.status();
    auto set = slmeval::parse_set(text.value());
    if (!set.ok()) return set.status();
    slmeval::Policy policy;
    if (policy_text) {
      auto p = slmeval::parse_policy(*policy_text, set.value());
      if (!p.ok()) return p.status();
      policy = p.value();
    }
    json sidecar, baseline = nullptr, sidecar_file = nullptr;
    if (in.sidecars.empty()) {
      std::optional<slmeval::Baseline> base;
      if (policy.no_regression) {
        auto b = parent_baseline(d, set.value(), policy);
        if (!b.ok()) return b.status();
        baseline = b->first;
        base = b->second;
      }
      auto e = slmeval::run_eval(d.descendant_model, d.outcome.lineage, set.value(), policy, base);
      if (!e.ok()) return e.status();
      sidecar = reproducible_entry(slmeval::reproducible_canonical(e.value()));
    } else {
      auto t = read_text(in.sidecars[i], slmeval::kMaxSidecarBytes, ErrorCode::E_EVAL_SIDECAR);
      if (!t.ok()) return t.status();
      auto view = slmeval::parse_sidecar(t.value());
      if (!view.ok()) return view.status();
      if (view->model_digest != slm::to_hex(id.content_digest) || view->set_digest != set->digest) {
        return error(ErrorCode::E_PKT_SIDECAR, in.sidecars[i] + " is not the descendant's sidecar for " + in.sets[i]);
      }
      sidecar = reproducible_entry(view->reproducible_canonical);
      const json r = sidecar["reproducible"];
      if (!same(r["policy"], policy_json(policy))) {
        return error(ErrorCode::E_PKT_SIDECAR, in.sidecars[i] + " was judged under another policy than the one given");
      }
      if (r["baseline"].is_string()) {  // the baseline it names must be given
        for (const auto& b : in.baselines) {
          auto bt = read_text(b, slmeval::kMaxSidecarBytes, ErrorCode::E_EVAL_SIDECAR);
          if (!bt.ok()) return bt.status();
          auto bv = slmeval::parse_sidecar(bt.value());
          if (!bv.ok()) return bv.status();
          if (bv->reproducible_digest == r["baseline"].get<std::string>()) baseline = reproducible_entry(bv->reproducible_canonical);
        }
        if (baseline.is_null()) return error(ErrorCode::E_EVAL_BASELINE, in.sidecars[i] + " names a baseline no --baseline holds");
      }
      auto rel = relative_to(in.sidecars[i], in.packet_dir);
      if (!rel.ok()) return rel.status();
      auto raw = bytes_of(t.value());
      sidecar_file = {{"path", rel.value()}, {"sha256", hex_sha256(raw)}};
    }
    auto view = slmeval::parse_sidecar(sidecar_text_of(sidecar));
    if (!view.ok()) return view.status();
    views.push_back(view.value());
    auto set_rel = relative_to(in.sets[i], in.packet_dir);
    if (!set_rel.ok()) return set_rel.status();
    json policy_json = nullptr;
    if (in.policy) {
      auto rel = relative_to(*in.policy, in.packet_dir);
      if (!rel.ok()) return rel.status();
      policy_json = {{"path", rel.value()}, {"sha256", hex_sha256(*policy_text)}};
    }
    json entry = {{"set", {{"path", set_rel.value()}, {"sha256", hex_sha256(text.value())}, {"name", set->name},
                           {"digest", set->digest}, {"cases", set->cases.size()}}},
                  {"policy", policy_json},
                  {"sidecar", sidecar},
                  {"baseline", baseline},
                  {"verdict", sidecar["reproducible"]["gate"]}};
    if (!sidecar_file.is_null()) entry["sidecar"]["file"] = sidecar_file;
    evidence.push_back(entry);
  }

  auto parent_rel = relative_to(in.parent, in.packet_dir);
  if (!parent_rel.ok()) return parent_rel.status();
  json stack = json::array(), subjects = json::array();
  const std::string descendant_sha = hex_sha256(*d.descendant);
  subjects.push_back({{"name", in.descendant_name}, {"digest", {{"sha256", descendant_sha}}}});
  for (std::size_t k = 0; k < in.adapters.size(); ++k) {
    auto rel = relative_to(in.adapters[k], in.packet_dir);
    if (!rel.ok()) return rel.status();
    const auto& step = d.outcome.lineage.steps[k];
    const std::string sha = hex_sha256(d.adapters[k]);
    stack.push_back({{"path", rel.value()}, {"sha256", sha}, {"kind", std::string(slm::adapter_kind_name(step.kind))},
                     {"content_digest", slm::to_hex(step.adapter_digest)}});
    subjects.push_back({{"name", rel.value()}, {"digest", {{"sha256", sha}}}});
  }
  const std::string parent_digest = slm::to_hex(d.parent_info.header.identity.content_digest);
  auto scorecard = json::parse(slmeval::scorecard_json(views));
  const json predicate = {
      {"spec_version", "1"},
      {"parent", {{"path", parent_rel.value()}, {"sha256", hex_sha256(*d.parent_bytes)},
                  {"identity", slmconf::identity_json(d.parent_info.header.identity)}}},
      {"stack", stack},
      {"descendant", {{"name", in.descendant_name}, {"sha256", descendant_sha}, {"identity", slmconf::identity_json(id)},
                      {"file_bytes", d.descendant->size()}}},
      {"lineage", slmconf::lineage_json(d.outcome.lineage)},
      {"evidence", evidence},
      {"scorecard", scorecard},
      {"diagnostics", diagnostics_of(d.descendant_model->info(), in.adapters.size())},
      {"rollback", {{"parent_digest", parent_digest}, {"parent_sha256", hex_sha256(*d.parent_bytes)},
                    {"parent_path", parent_rel.value()}, {"stack_begins_after", 0},
                    {"command", "slm validate --digest " + parent_rel.value()}}},
      {"review", {{"required", true}, {"checklist", kChecklist}, {"decisions", "reviews"}}}};
  const json statement = {{"_type", kStatementType}, {"subject", subjects}, {"predicateType", kReleaseType}, {"predicate", predicate}};
  auto payload = canonical(statement);
  if (!payload.ok()) return payload.status();
  return packet_text(envelope_of(payload.value(), builder), json::array());
}

// ---- reading a packet ----------------------------------------------------------------------------

namespace {

struct Parsed {
  json file;
  std::string payload;  // the statement's canonical bytes
  json statement;
};

// Section 4 and 3: the file, the envelope, its payload; not yet the statement's fields.
slm::Result<Parsed> parse_packet(std::string_view text) {
  const auto bad = [](const std::string& what) { return error(ErrorCode::E_PKT_FORMAT, what); };
  if (text.size() > kMaxPacketBytes) return bad("the packet is larger than 256 MiB");
  Parsed p;
  p.file = json::parse(text, nullptr, false);
  if (p.file.is_discarded() || !p.file.is_object()) return bad("not a JSON object");
  if (!p.file.contains("slm_release_packet") || p.file["slm_release_packet"] != 1) return bad("slm_release_packet is not 1");
  if (!p.file.contains("envelope") || !p.file["envelope"].is_object()) return bad("no envelope");
  if (!p.file.contains("reviews") || !p.file["reviews"].is_array()) return bad("reviews is not a list");
  const json& env = p.file["envelope"];
  if (!env.contains("payloadType") || env["payloadType"] != kPayloadType) return bad("payloadType is not " + std::string(kPayloadType));
  if (!env.contains("payload") || !env["payload"].is_string()) return bad("no payload");
  if (!env.contains("signatures") || !env["signatures"].is_array()) return bad("signatures is not a list");
  std::vector<std::uint8_t> payload;
  if (!base64_decode(env["payload"].get<std::string>(), payload)) return bad("the payload is not Base64");
  p.payload.assign(payload.begin(), payload.end());
  p.statement = json::parse(p.payload, nullptr, false);
  if (p.statement.is_discarded() || !p.statement.is_object()) return bad("the payload is not a JSON object");
  return p;
}

// One signature list against the trusted keys: {"keyid", "trusted", "valid"} per signature.
json check_signatures(const json& envelope, const std::string& payload, const std::vector<Key>& trusted, bool& any_valid) {
  json out = json::array();
  any_valid = false;
  const auto message = pae(kPayloadType, bytes_of(payload));
  for (const auto& s : envelope["signatures"]) {
    const std::string keyid = s.is_object() && s.contains("keyid") && s["keyid"].is_string() ? s["keyid"].get<std::string>() : "";
    std::vector<std::uint8_t> sig;
    const bool decodes = s.is_object() && s.contains("sig") && s["sig"].is_string() && base64_decode(s["sig"].get<std::string>(), sig);
    const Key* key = nullptr;
    for (const auto& k : trusted) {
      if (k.key_id() == keyid) key = &k;
    }
    const bool valid = key && decodes && key->verify(message, sig);
    any_valid = any_valid || valid;
    out.push_back({{"keyid", keyid}, {"trusted", key != nullptr}, {"valid", valid}});
  }
  return out;
}

// Checks the statement's fields (section 5): every field the checks read, of its type, and the
// fields section 5 fixes (spec_version, rollback, review) with their values; a message naming the
// first wrong one. Nothing after this reads a field of another type, so no check can trip on one.
std::optional<std::string> statement_shape(const json& s) {
  const auto is_str = [](const json& o, const char* k) { return o.is_object() && o.contains(k) && o[k].is_string(); };
  const auto is_uint = [](const json& o, const char* k) { return o.is_object() && o.contains(k) && o[k].is_number_unsigned(); };
  const auto is_hex64 = [&](const json& o, const char* k) {
    if (!is_str(o, k)) return false;
    const std::string v = o[k].get<std::string>();
    return v.size() == 64 && v.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  const auto is_file = [&](const json& f) { return is_str(f, "path") && is_hex64(f, "sha256"); };
  const auto is_identity = [&](const json& o, const char* k) { return o.is_object() && o.contains(k) && slmconf::identity_from_json(o[k]).has_value(); };
  if (s.value("_type", "") != kStatementType) return "_type is not " + std::string(kStatementType);
  if (s.value("predicateType", "") != kReleaseType) return "predicateType is not " + std::string(kReleaseType);
  if (!s.contains("subject") || !s["subject"].is_array() || s["subject"].empty()) return "subject is not a non-empty list";
  for (const auto& sub : s["subject"]) {
    if (!is_str(sub, "name") || !sub.contains("digest") || !is_hex64(sub["digest"], "sha256")) return "a subject needs name and digest.sha256";
  }
  if (!s.contains("predicate") || !s["predicate"].is_object()) return "no predicate";
  const json& p = s["predicate"];
  if (p.value("spec_version", json(nullptr)) != "1") return "predicate.spec_version is not \"1\"";
  for (const char* key : {"parent", "descendant", "lineage", "scorecard", "diagnostics", "rollback", "review"}) {
    if (!p.contains(key) || !p[key].is_object()) return std::string("predicate.") + key + " is not an object";
  }
  for (const char* key : {"stack", "evidence"}) {
    if (!p.contains(key) || !p[key].is_array()) return std::string("predicate.") + key + " is not a list";
  }
  if (p["evidence"].empty()) return "predicate.evidence is empty: a release needs evidence";
  if (!is_file(p["parent"]) || !is_identity(p["parent"], "identity")) return "predicate.parent needs path, sha256, identity";
  for (const auto& a : p["stack"]) {
    if (!is_file(a) || !is_str(a, "kind") || !is_hex64(a, "content_digest")) return "a stack entry needs path, sha256, kind, content_digest";
  }
  const json& d = p["descendant"];
  if (!is_str(d, "name") || !is_hex64(d, "sha256") || !is_uint(d, "file_bytes") ||
      !slmconf::identity_from_json(d.value("identity", json(nullptr)))) {
    return "predicate.descendant needs name, sha256, identity, file_bytes";
  }
  if (!slmconf::lineage_from_json(p["lineage"])) return "predicate.lineage is not a lineage";
  for (const auto& e : p["evidence"]) {
    if (!e.is_object() || !e.contains("set") || !is_file(e["set"]) || !is_str(e["set"], "name") || !is_hex64(e["set"], "digest") ||
        !is_uint(e["set"], "cases")) {
      return "an evidence set needs path, sha256, name, digest, cases";
    }
    if (!e.contains("policy") || !(e["policy"].is_null() || is_file(e["policy"]))) return "an evidence policy is null or a file";
    for (const char* key : {"sidecar", "baseline"}) {
      if (!e.contains(key)) return std::string("an evidence entry needs ") + key;
      const json& x = e[key];
      if (std::string(key) == "baseline" && x.is_null()) continue;
      if (!x.is_object() || !x.contains("reproducible") || !x["reproducible"].is_object() || !is_hex64(x, "reproducible_digest")) {
        return std::string("an evidence ") + key + " needs reproducible and its digest";
      }
      if (x.contains("file") && !is_file(x["file"])) return "a sidecar file needs path and sha256";
    }
    if (!e.contains("verdict") || !e["verdict"].is_object()) return "an evidence entry needs a verdict";
  }
  // Section 5 fixes the review block: an edited value is a malformed statement. (Rollback names the
  // parent file, so check 4 compares it with the file.)
  const json review = {{"checklist", kChecklist}, {"decisions", "reviews"}, {"required", true}};
  if (!same(review, p["review"])) return "predicate.review is not section 6's checklist";
  return std::nullopt;
}

// Every path the statement records, to be resolved inside the packet's folder (section 1).
std::vector<std::string> recorded_paths(const json& p) {
  std::vector<std::string> out = {p["parent"]["path"].get<std::string>()};
  for (const auto& a : p["stack"]) out.push_back(a["path"].get<std::string>());
  for (const auto& e : p["evidence"]) {
    out.push_back(e["set"]["path"].get<std::string>());
    if (!e["policy"].is_null()) out.push_back(e["policy"]["path"].get<std::string>());
    if (e["sidecar"].contains("file")) out.push_back(e["sidecar"]["file"]["path"].get<std::string>());
  }
  return out;
}



}  // namespace

slm::Result<std::string> add_signature(std::string_view packet, const Key& key) {
  auto p = parse_packet(packet);
  if (!p.ok()) return p.status();
  if (!key.has_private()) return error(ErrorCode::E_PKT_KEY, "signing needs a private key");
  json file = p->file;
  auto sig = key.sign(pae(kPayloadType, bytes_of(p->payload)));
  if (!sig.ok()) return sig.status();
  file["envelope"]["signatures"].push_back({{"keyid", key.key_id()}, {"sig", base64_encode(sig.value())}});
  return packet_text(file["envelope"], file["reviews"]);
}

slm::Result<std::string> add_review(std::string_view packet, const Key& reviewer, bool approve, const std::string& note) {
  auto p = parse_packet(packet);
  if (!p.ok()) return p.status();
  if (!reviewer.has_private()) return error(ErrorCode::E_PKT_KEY, "a review is signed with a private key");
  const json statement = {{"_type", kStatementType},
                          {"subject", json::array({{{"name", "release-packet"}, {"digest", {{"sha256", hex_sha256(p->payload)}}}}})},
                          {"predicateType", kReviewType},
                          {"predicate", {{"decision", approve ? "approve" : "reject"}, {"note", note}}}};
  auto payload = canonical(statement);
  if (!payload.ok()) return payload.status();
  json file = p->file;
  file["reviews"].push_back(envelope_of(payload.value(), reviewer));
  return packet_text(file["envelope"], file["reviews"]);
}

// ---- verification (section 7) --------------------------------------------------------------------

bool VerifyReport::verified() const {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.passed; });
}

slm::ErrorCode VerifyReport::code() const {
  for (const auto& c : checks) {
    if (!c.passed) return c.code;
  }
  return ErrorCode::OK;
}

std::string VerifyReport::json() const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& c : checks) {
    list.push_back({{"check", c.name}, {"code", std::string(slm::error_info(c.code).name)}, {"passed", c.passed}, {"detail", c.detail}});
  }
  const auto code = this->code();
  return nlohmann::ordered_json{{"verified", verified()},
                                {"code", code == ErrorCode::OK ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(std::string(slm::error_info(code).name))},
                                {"packet_digest", packet_digest},
                                {"checks", list},
                                {"signatures", nlohmann::ordered_json::parse(signatures_json)},
                                {"reviews", nlohmann::ordered_json::parse(reviews_json)}}
             .dump(2) +
         "\n";
}

std::string VerifyReport::text() const {
  std::string out;
  for (const auto& c : checks) {
    out += (c.passed ? "  ok    " : "  FAIL  ") + c.name + (c.passed ? "" : " (" + std::string(slm::error_info(c.code).name) + ")") +
           (c.detail.empty() ? "" : ": " + c.detail) + "\n";
  }
  return out;
}

namespace {
VerifyReport verify_unguarded(std::string_view text, const std::string& dir, const std::vector<Key>& trusted,
                              const VerifyOptions& options) {
  VerifyReport report;
  auto& checks = report.checks;
  checks.reserve(16);  // every check below: references to them stay valid
  const auto add = [&](const char* name, ErrorCode code) -> Check& {
    checks.push_back({name, code, true, ""});
    return checks.back();
  };
  const auto fail = [](Check& c, const std::string& why) {
    if (c.passed) c.detail = why;  // the first reason
    c.passed = false;
  };
  // 1. format
  Check& format = add("format", ErrorCode::E_PKT_FORMAT);
  auto parsed = parse_packet(text);
  if (!parsed.ok()) {
    fail(format, parsed.status().message);
    return report;
  }
  const Parsed& p = parsed.value();
  report.packet_digest = hex_sha256(p.payload);
  if (auto c = slmeval::canonicalize(p.payload); !c.ok() || c.value() != p.payload) fail(format, "the payload is not canonical JSON");
  if (auto why = statement_shape(p.statement)) {
    fail(format, *why);
  } else {
    for (const auto& path : recorded_paths(p.statement["predicate"])) {
      if (auto r = resolve(path, dir); !r.ok()) fail(format, r.status().message);
    }
  }
  // 2. signatures
  Check& signature = add("signature", ErrorCode::E_PKT_SIGNATURE);
  bool any = false;
  report.signatures_json = check_signatures(p.file["envelope"], p.payload, trusted, any).dump();
  if (!any) fail(signature, "no signature verifies under a given public key");
  // 3. reviews
  Check& reviews = add("reviews", ErrorCode::E_PKT_REVIEW);
  json review_list = json::array();
  bool approved = false, rejected = false;
  for (const auto& r : p.file["reviews"]) {
    const auto bad = [&](const std::string& why) {
      fail(reviews, why);
      review_list.push_back({{"keyid", nullptr}, {"decision", nullptr}, {"note", nullptr}, {"valid", false}});
    };
    auto rp = r.is_object() ? parse_packet(packet_text(r, json::array())) : slm::Result<Parsed>(error(ErrorCode::E_PKT_FORMAT, ""));
    if (!rp.ok()) {
      bad("a review envelope is malformed");
      continue;
    }
    bool valid = false;
    const json sigs = check_signatures(r, rp->payload, trusted, valid);
    const json& s = rp->statement;
    const bool names_this = s.value("_type", "") == kStatementType && s.value("predicateType", "") == kReviewType &&
                            s.contains("subject") && s["subject"].is_array() && s["subject"].size() == 1 &&
                            s["subject"][0].is_object() && s["subject"][0].contains("digest") &&
                            s["subject"][0]["digest"].value("sha256", "") == report.packet_digest;
    const json pred = s.contains("predicate") && s["predicate"].is_object() ? s["predicate"] : json::object();
    const std::string decision = pred.value("decision", "");
    const std::string keyid = sigs.empty() ? "" : sigs[0]["keyid"].get<std::string>();
    if (!valid) fail(reviews, "a review is not signed by a given key");
    if (!names_this) fail(reviews, "a review names another packet");
    if (decision != "approve" && decision != "reject") fail(reviews, "a review's decision is neither approve nor reject");
    const bool ok = valid && names_this;
    if (ok && decision == "approve") approved = true;
    if (ok && decision == "reject") rejected = true;
    review_list.push_back({{"keyid", keyid}, {"decision", decision}, {"note", pred.value("note", "")}, {"valid", ok}});
  }
  report.reviews_json = review_list.dump();
  if (options.require_approval && (!approved || rejected)) fail(reviews, rejected ? "a reviewer rejected the packet" : "no valid approval");
  if (!format.passed) return report;  // the file checks need a well-formed statement

  const json& pr = p.statement["predicate"];
  // 4. parent, 5. adapters: the files named, by SHA-256
  Check& parent = add("parent", ErrorCode::E_PKT_PARENT);
  Check& adapters = add("adapters", ErrorCode::E_PKT_ADAPTER);
  Check& descendant = add("descendant", ErrorCode::E_PKT_DESCENDANT);
  // Reads a recorded file once and checks its SHA-256; the bytes are what the later checks use.
  const auto file_check = [&](Check& c, const json& f, std::vector<std::uint8_t>& bytes_out) -> bool {
    auto path = resolve(f["path"].get<std::string>(), dir);
    if (!path.ok()) {
      fail(c, path.status().message);
      return false;
    }
    auto bytes = slm::read_file_bytes(path.value());
    if (!bytes.ok()) {
      fail(c, f["path"].get<std::string>() + ": " + bytes.status().message);
      return false;
    }
    const std::string sha = hex_sha256(bytes.value());
    if (sha != f["sha256"].get<std::string>()) {
      fail(c, f["path"].get<std::string>() + " has SHA-256 " + sha + ", the packet says " + f["sha256"].get<std::string>());
      return false;
    }
    bytes_out = std::move(bytes.value());
    return true;
  };
  const auto text_of = [](const std::vector<std::uint8_t>& b) { return std::string(b.begin(), b.end()); };
  std::vector<std::uint8_t> parent_bytes;
  std::vector<std::vector<std::uint8_t>> adapter_bytes;
  bool files_ok = file_check(parent, pr["parent"], parent_bytes);
  for (const auto& a : pr["stack"]) {
    files_ok = file_check(adapters, a, adapter_bytes.emplace_back()) && files_ok;
  }
  const std::size_t stack_size = adapter_bytes.size();
  std::optional<Derived> d;
  if (files_ok) {
    std::size_t failed = 0;
    auto derived = derive(std::move(parent_bytes), std::nullopt, std::move(adapter_bytes), failed);
    if (!derived.ok()) {
      fail(failed == 0 ? parent : adapters, derived.status().message);
    } else {
      d = std::move(derived.value());
      if (!same(slmconf::identity_json(d->parent_info.header.identity), pr["parent"]["identity"])) fail(parent, "the parent's identity differs");
      const std::string recorded = pr["parent"]["path"].get<std::string>();
      const json rollback = {{"command", "slm validate --digest " + recorded},
                             {"parent_digest", slm::to_hex(d->parent_info.header.identity.content_digest)},
                             {"parent_path", recorded}, {"parent_sha256", hex_sha256(*d->parent_bytes)}, {"stack_begins_after", 0}};
      if (!same(rollback, pr["rollback"])) fail(parent, "rollback does not name this parent file (section 5)");
      for (std::size_t k = 0; k < d->outcome.lineage.steps.size(); ++k) {
        const auto& step = d->outcome.lineage.steps[k];
        if (pr["stack"][k].value("kind", "") != std::string(slm::adapter_kind_name(step.kind)) ||
            pr["stack"][k].value("content_digest", "") != slm::to_hex(step.adapter_digest)) {
          fail(adapters, "adapter " + std::to_string(k) + "'s kind or content digest differs");
        }
      }
      // 6. the descendant re-derived
      const std::string sha = hex_sha256(*d->descendant);
      const json& dd = pr["descendant"];
      if (dd.value("sha256", "") != sha) fail(descendant, "the re-derived descendant has SHA-256 " + sha);
      if (!dd.contains("identity") || !same(dd["identity"], slmconf::identity_json(d->outcome.identity))) fail(descendant, "the descendant's identity differs");
      if (dd.value("file_bytes", std::uint64_t{0}) != d->descendant->size()) fail(descendant, "the descendant's size differs");
      if (!same(pr["lineage"], slmconf::lineage_json(d->outcome.lineage))) fail(descendant, "the lineage differs");
      json subjects = json::array({{{"name", dd.value("name", "")}, {"digest", {{"sha256", sha}}}}});
      for (const auto& a : pr["stack"]) subjects.push_back({{"name", a["path"]}, {"digest", {{"sha256", a["sha256"]}}}});
      if (!same(p.statement["subject"], subjects)) fail(descendant, "the subjects are not the descendant and the stack");
    }
  } else {
    fail(descendant, "not re-derived: an input file differs");
  }

  // 7-10. evidence
  Check& sets = add("sets", ErrorCode::E_PKT_SET);
  Check& policies = add("policies", ErrorCode::E_PKT_POLICY);
  Check& sidecars = add("sidecars", ErrorCode::E_PKT_SIDECAR);
  Check& verdicts = add("verdicts", ErrorCode::E_PKT_VERDICT);
  std::vector<slmeval::SidecarView> views;
  std::size_t index = 0;
  std::vector<std::optional<slmeval::EvalSet>> parsed_sets;
  std::vector<slmeval::Policy> parsed_policies;
  for (const auto& e : pr["evidence"]) {
    const std::string which = "evidence " + std::to_string(index++);
    std::vector<std::uint8_t> set_bytes;
    std::optional<slmeval::EvalSet> set;
    if (file_check(sets, e["set"], set_bytes)) {
      auto st = slmeval::parse_set(text_of(set_bytes));
      if (!st.ok()) {
        fail(sets, which + ": " + st.status().message);
      } else {
        set = st.value();
        if (e["set"].value("digest", "") != set->digest || e["set"].value("name", "") != set->name ||
            e["set"].value("cases", std::uint64_t{0}) != set->cases.size()) {
          fail(sets, which + ": the set's name, digest or case count differs");
        }
      }
    }
    std::optional<std::string> policy_text;
    slmeval::Policy policy;
    if (!e["policy"].is_null()) {
      std::vector<std::uint8_t> policy_bytes;
      if (file_check(policies, e["policy"], policy_bytes)) {
        if (policy_bytes.size() > slmeval::kMaxPolicyBytes) fail(policies, which + ": the policy is larger than 1 MiB");
        else policy_text = text_of(policy_bytes);
      }
    }
    if (set && policy_text) {
      auto pp = slmeval::parse_policy(*policy_text, *set);
      if (pp.ok()) policy = pp.value();
      else fail(policies, which + ": " + pp.status().message);
    }
    parsed_sets.push_back(set);
    parsed_policies.push_back(policy);
    if (set && !same(e["sidecar"]["reproducible"].value("policy", json(nullptr)), policy_json(policy))) {
      fail(sidecars, which + ": the sidecar was judged under another policy than " +
                         (e["policy"].is_null() ? std::string("the default") : e["policy"]["path"].get<std::string>()));
    }
    // 8. the sidecar and its baseline
    const auto entry_ok = [&](const json& entry, const std::string& what) -> std::optional<slmeval::SidecarView> {
      auto c = canonical(entry["reproducible"]);
      if (!c.ok() || hex_sha256(c.value()) != entry.value("reproducible_digest", "")) {
        fail(sidecars, which + ": the " + what + "'s reproducible_digest is not the SHA-256 of its evidence");
        return std::nullopt;
      }
      auto v = slmeval::parse_sidecar(sidecar_text_of(entry));
      if (!v.ok()) {
        fail(sidecars, which + ": " + v.status().message);
        return std::nullopt;
      }
      return v.value();
    };
    auto view = entry_ok(e["sidecar"], "sidecar");
    std::optional<slmeval::SidecarView> base;
    if (!e["baseline"].is_null()) base = entry_ok(e["baseline"], "baseline");
    if (view) {
      const json& r = e["sidecar"]["reproducible"];
      if (d && (!same(r["model"]["identity"], slmconf::identity_json(d->outcome.identity)) ||
                !same(r["model"]["lineage"], slmconf::lineage_json(d->outcome.lineage)))) {
        fail(sidecars, which + ": the sidecar is not the descendant's");
      }
      if (set && (view->set_digest != set->digest || view->set_name != set->name)) fail(sidecars, which + ": the sidecar ran another set");
      const json want_base = base ? json(base->reproducible_digest) : json(nullptr);
      if (r["baseline"] != want_base) fail(sidecars, which + ": the sidecar's baseline is not the recorded one");
      if (d && base && !same(e["baseline"]["reproducible"]["model"]["identity"], slmconf::identity_json(d->parent_info.header.identity))) {
        fail(sidecars, which + ": the baseline is not the parent's");
      }
      if (e["sidecar"].contains("file")) {
        std::vector<std::uint8_t> sidecar_bytes;
        if (file_check(sidecars, e["sidecar"]["file"], sidecar_bytes)) {
          auto fv = sidecar_bytes.size() > slmeval::kMaxSidecarBytes
                        ? slm::Result<slmeval::SidecarView>(error(ErrorCode::E_EVAL_SIDECAR, "larger than 256 MiB"))
                        : slmeval::parse_sidecar(text_of(sidecar_bytes));
          if (!fv.ok() || fv->reproducible_digest != view->reproducible_digest) fail(sidecars, which + ": the sidecar file holds other evidence");
        }
      }
      // 9. the gate re-judged under the recorded policy and baseline
      std::optional<slmeval::Baseline> b;
      if (base) b = base->as_baseline;
      auto again = slmeval::regate(sidecar_text_of(e["sidecar"]), policy_text ? std::optional<std::string_view>(*policy_text) : std::nullopt, b);
      if (!again.ok()) {
        fail(verdicts, which + ": " + again.status().message);
      } else {
        const json v = {{"passed", again->passed}, {"reasons", again->reasons}};
        if (!same(v, r["gate"]) || !same(v, e["verdict"])) fail(verdicts, which + ": the gate re-judged gives " + v.dump());
      }
      views.push_back(*view);
    }
  }
  if (views.size() == pr["evidence"].size() && !same(json::parse(slmeval::scorecard_json(views)), pr["scorecard"])) {
    fail(verdicts, "the scorecard differs from the sidecars'");
  }
  if (d && !same(diagnostics_of(d->descendant_model->info(), stack_size), pr["diagnostics"])) {
    fail(verdicts, "the diagnostics differ from the descendant's");
  }
  // 10. rerun
  if (options.rerun) {
    Check& rerun = add("rerun", ErrorCode::E_PKT_RERUN);
    if (!d) {
      fail(rerun, "not run: the descendant was not re-derived");
    } else {
      std::size_t i = 0;
      for (const auto& e : pr["evidence"]) {
        const auto& set = parsed_sets[i];
        const auto& policy = parsed_policies[i++];
        if (!set) {
          fail(rerun, "not run: a set is unreadable");
          continue;
        }
        std::optional<slmeval::Baseline> base;
        if (!e["baseline"].is_null()) {
          auto b = parent_baseline(*d, *set, policy);
          if (!b.ok() || b->first["reproducible_digest"] != e["baseline"]["reproducible_digest"]) {
            fail(rerun, set->name + ": the parent's run gives another reproducible digest");
            continue;
          }
          base = b->second;
        }
        auto run = slmeval::run_eval(d->descendant_model, d->outcome.lineage, *set, policy, base);
        if (!run.ok() || hex_sha256(slmeval::reproducible_canonical(run.value())) != e["sidecar"]["reproducible_digest"]) {
          fail(rerun, set->name + ": the run gives another reproducible digest");
        }
      }
    }
  }
  return report;
}

}  // namespace

// The checks read only what statement_shape vouched for; a JSON type error that slips past it is
// still a malformed packet, never a crash.
VerifyReport verify_packet(std::string_view text, const std::string& dir, const std::vector<Key>& trusted,
                           const VerifyOptions& options) {
  try {
    return verify_unguarded(text, dir, trusted, options);
  } catch (const nlohmann::json::exception& e) {
    VerifyReport report;
    report.checks.push_back({"format", ErrorCode::E_PKT_FORMAT, false, std::string("malformed field: ") + e.what()});
    return report;
  }
}

// ---- slm packet show -----------------------------------------------------------------------------

namespace {

std::string esc(const std::string& s) {  // HTML text and attribute escaping
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string str(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }
std::string short_hex(const json& j) { return str(j).substr(0, 16) + "…"; }

struct Shown {
  json packet, statement;
  std::string digest;
};

slm::Result<Shown> shown(std::string_view text) {
  auto p = parse_packet(text);
  if (!p.ok()) return p.status();
  if (auto why = statement_shape(p->statement)) return error(ErrorCode::E_PKT_FORMAT, *why);
  return Shown{p->file, p->statement, hex_sha256(p->payload)};
}

std::vector<std::string> review_lines(const json& file) {
  std::vector<std::string> out;
  for (const auto& r : file["reviews"]) {
    auto rp = r.is_object() ? parse_packet(packet_text(r, json::array())) : slm::Result<Parsed>(error(ErrorCode::E_PKT_FORMAT, ""));
    if (!rp.ok()) continue;
    const json pred = rp->statement.contains("predicate") ? rp->statement["predicate"] : json::object();
    const std::string keyid = r["signatures"].empty() ? "" : str(r["signatures"][0].value("keyid", json("")));
    out.push_back(pred.value("decision", "?") + " by " + keyid.substr(0, 16) + "… (not verified here; slm packet verify checks it): " +
                  pred.value("note", ""));
  }
  return out;
}

}  // namespace

namespace {
slm::Result<std::string> markdown_unguarded(std::string_view text) {
  auto s = shown(text);
  if (!s.ok()) return s.status();
  const json& p = s->statement["predicate"];
  std::string md = "# Release packet " + s->digest.substr(0, 16) + "…\n\n";
  md += "Packet digest (SHA-256 of the statement): `" + s->digest + "`\n\n## Lineage\n\n";
  md += "- parent `" + str(p["parent"]["path"]) + "`: content digest `" + str(p["lineage"]["parent_digest"]) + "`\n";
  for (std::size_t k = 0; k < p["stack"].size(); ++k) {
    md += "- step " + std::to_string(k + 1) + ": " + str(p["stack"][k]["kind"]) + " adapter `" + str(p["stack"][k]["path"]) +
          "` (`" + short_hex(p["stack"][k]["content_digest"]) + "`) → `" + short_hex(p["lineage"]["steps"][k]["descendant_digest"]) + "`\n";
  }
  md += "- descendant `" + str(p["descendant"]["name"]) + "`: SHA-256 `" + str(p["descendant"]["sha256"]) + "`\n\n## Gates\n\n";
  md += "| set | cases | passed | gate | reasons |\n|---|---:|---:|---|---|\n";
  for (const auto& e : p["evidence"]) {
    const json& r = e["sidecar"]["reproducible"];
    std::string reasons;
    for (const auto& x : e["verdict"]["reasons"]) reasons += (reasons.empty() ? "" : "; ") + str(x);
    md += "| " + str(e["set"]["name"]) + " | " + str(r["totals"]["cases"]) + " | " + str(r["totals"]["passed"]) + " | " +
          (e["verdict"]["passed"].get<bool>() ? "passed" : "**FAILED**") + " | " + (reasons.empty() ? "—" : reasons) + " |\n";
  }
  md += "\n## Scorecard\n\n| set | model | sidecar | cases | passed | gate |\n|---|---|---|---:|---:|---|\n";
  for (const auto& row : p["scorecard"].value("rows", json::array())) {
    md += "| " + str(row.value("set", json(""))) + " | `" + str(row.value("model", json(""))).substr(0, 16) + "…` | `" +
          str(row.value("sidecar", json(""))) + "` | " +
          row.value("cases", json(0)).dump() + " | " + row.value("passed", json(0)).dump() + " | " +
          (row.value("gate", false) ? "passed" : "failed") + " |\n";
  }
  md += "\n## Diagnostics\n\n";
  for (const auto& [k, v] : p["diagnostics"].items()) md += "- " + k + ": " + v.dump() + "\n";
  md += "\n## Rollback\n\nRestore the parent `" + str(p["rollback"]["parent_path"]) + "` (content digest `" +
        str(p["rollback"]["parent_digest"]) + "`): `" + str(p["rollback"]["command"]) + "`\n\n## Review\n\n";
  for (const auto& c : p["review"]["checklist"]) md += "- [ ] " + str(c) + "\n";
  md += "\nSignatures of the statement:\n\n";
  for (const auto& sig : s->packet["envelope"]["signatures"]) md += "- key `" + str(sig.value("keyid", json(""))) + "`\n";
  md += "\nReviews:\n\n";
  const auto reviews = review_lines(s->packet);
  if (reviews.empty()) md += "- none yet\n";
  for (const auto& line : reviews) md += "- " + line + "\n";
  return md;
}

slm::Result<std::string> html_unguarded(std::string_view text) {
  auto s = shown(text);
  if (!s.ok()) return s.status();
  const json& p = s->statement["predicate"];
  // The lineage as an SVG chain: parent -> each step's descendant, adapters on the arrows.
  const std::size_t n = p["stack"].size();
  const int box_w = 220, gap = 120, h = 150;
  const int width = static_cast<int>(n + 1) * box_w + static_cast<int>(n) * gap + 20;
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(width) + "' height='" + std::to_string(h) +
                    "' role='img' aria-label='lineage'><defs><marker id='a' markerWidth='10' markerHeight='8' refX='9' refY='4' "
                    "orient='auto'><path d='M0,0 L10,4 L0,8 z' fill='#445'/></marker></defs>";
  for (std::size_t k = 0; k <= n; ++k) {
    const int x = 10 + static_cast<int>(k) * (box_w + gap);
    const std::string title = k == 0 ? "parent" : (k == n ? "descendant" : "step " + std::to_string(k));
    const std::string digest = k == 0 ? str(p["lineage"]["parent_digest"]) : str(p["lineage"]["steps"][k - 1]["descendant_digest"]);
    svg += "<rect x='" + std::to_string(x) + "' y='40' width='" + std::to_string(box_w) + "' height='70' rx='8' fill='" +
           (k == n ? "#e3f4e8" : "#eef1f7") + "' stroke='#445'/>";
    svg += "<text x='" + std::to_string(x + 12) + "' y='68' font-family='sans-serif' font-size='15' font-weight='bold'>" + esc(title) + "</text>";
    svg += "<text x='" + std::to_string(x + 12) + "' y='92' font-family='monospace' font-size='12'>" + esc(digest.substr(0, 24)) + "…</text>";
    if (k < n) {
      const int ax = x + box_w, bx = x + box_w + gap;
      svg += "<line x1='" + std::to_string(ax) + "' y1='75' x2='" + std::to_string(bx - 2) + "' y2='75' stroke='#445' marker-end='url(#a)'/>";
      svg += "<text x='" + std::to_string(ax + 8) + "' y='65' font-family='sans-serif' font-size='12'>" + esc(str(p["stack"][k]["kind"])) + "</text>";
      svg += "<text x='" + std::to_string(ax + 8) + "' y='95' font-family='monospace' font-size='10'>" +
             esc(str(p["stack"][k]["content_digest"]).substr(0, 12)) + "…</text>";
    }
  }
  svg += "</svg>";
  std::string gates;
  for (const auto& e : p["evidence"]) {
    const json& r = e["sidecar"]["reproducible"];
    std::string reasons;
    for (const auto& x : e["verdict"]["reasons"]) reasons += (reasons.empty() ? "" : "; ") + str(x);
    const bool passed = e["verdict"]["passed"].get<bool>();
    gates += "<tr><td>" + esc(str(e["set"]["name"])) + "</td><td>" + str(r["totals"]["cases"]) + "</td><td>" + str(r["totals"]["passed"]) +
             "</td><td class='" + (passed ? "ok" : "bad") + "'>" + (passed ? "passed" : "FAILED") + "</td><td>" + esc(reasons) + "</td></tr>";
  }
  std::string score;
  for (const auto& row : p["scorecard"].value("rows", json::array())) {
    const bool passed = row.value("gate", false);
    score += "<tr><td>" + esc(str(row.value("set", json("")))) + "</td><td><code>" + esc(str(row.value("model", json(""))).substr(0, 16)) +
             "…</code></td><td><code>" + esc(str(row.value("sidecar", json("")))) + "</code></td><td>" + row.value("cases", json(0)).dump() + "</td><td>" + row.value("passed", json(0)).dump() +
             "</td><td class='" + (passed ? "ok" : "bad") + "'>" + (passed ? "passed" : "failed") + "</td></tr>";
  }
  std::string diag;
  for (const auto& [k, v] : p["diagnostics"].items()) diag += "<tr><th>" + esc(k) + "</th><td><code>" + esc(v.dump()) + "</code></td></tr>";
  std::string sigs;
  for (const auto& sig : s->packet["envelope"]["signatures"]) sigs += "<li>builder key <code>" + esc(str(sig.value("keyid", json("")))) + "</code></li>";
  for (const auto& line : review_lines(s->packet)) sigs += "<li>review: " + esc(line) + "</li>";
  std::string checklist;
  for (const auto& c : p["review"]["checklist"]) checklist += "<li>" + esc(str(c)) + "</li>";
  return "<!doctype html><html lang='en'><meta charset='utf-8'><title>Release packet " + s->digest.substr(0, 16) +
         "</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#223}"
         "code{font-size:.9em}table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.3em .6em;text-align:left}"
         ".ok{color:#175c2c;font-weight:bold}.bad{color:#a11;font-weight:bold}svg{max-width:100%;height:auto}</style>"
         "<h1>Release packet</h1><p>Packet digest <code>" + s->digest + "</code> (SHA-256 of the signed statement). "
         "Verify it with <code>slm packet verify</code>: this page shows what the packet claims.</p>"
         "<h2>Lineage</h2>" + svg + "<h2>Gates</h2><table><tr><th>set</th><th>cases</th><th>passed</th><th>gate</th><th>reasons</th></tr>" +
         gates + "</table><h2>Scorecard</h2><table><tr><th>set</th><th>model</th><th>sidecar</th><th>cases</th><th>passed</th><th>gate</th></tr>" + score +
         "</table><h2>Diagnostics</h2><table>" + diag + "</table><h2>Rollback</h2><p>Restore <code>" +
         esc(str(p["rollback"]["parent_path"])) + "</code>: <code>" + esc(str(p["rollback"]["command"])) +
         "</code></p><h2>Review</h2><ul>" + checklist + "</ul><h2>Signatures</h2><ul>" + sigs + "</ul></html>\n";
}

}  // namespace

slm::Result<std::string> show_markdown(std::string_view text) {
  try {
    return markdown_unguarded(text);
  } catch (const nlohmann::json::exception& e) {
    return error(ErrorCode::E_PKT_FORMAT, std::string("malformed field: ") + e.what());
  }
}

slm::Result<std::string> show_html(std::string_view text) {
  try {
    return html_unguarded(text);
  } catch (const nlohmann::json::exception& e) {
    return error(ErrorCode::E_PKT_FORMAT, std::string("malformed field: ") + e.what());
  }
}

}  // namespace slmpacket
